internal import CMariaDB

/// One connection to MariaDB, owned by one worker thread.
///
/// Not Sendable: Connector/C handles may be used by one thread at a time, so each worker opens its own
/// (after `MariaDB.threadInit()`). Statements are prepared once and cached per connection.
///
/// Reconnecting: when the server drops the connection (restart, `KILL CONNECTION`, network), the handle is
/// closed and the next statement opens a new one first — nothing was sent yet, so that is always safe. A
/// statement that fails *while* the connection is lost may or may not have run on the server; it is re-sent
/// once on a fresh connection only when the caller declares it idempotent, call by call.
///
/// Several nodes (`ConnectionSettings.otherEndpoints`, a Galera cluster): the connection is made to one node and
/// stays there. A node that cannot be reached, or is not ready to serve, is passed over for the next one; after a
/// lost connection the next connection starts with the next node. On connecting to a Galera node the session's
/// `wsrep_sync_wait` is set (`galeraSyncWait`), so that each statement sees what other nodes committed before it.
public final class Connection {
    public let settings: ConnectionSettings
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: PreparedStatement] = [:]
    /// How many times this connection was re-established after being lost.
    public private(set) var reconnectCount = 0
    /// The index in `settings.endpoints` of the node connected to, or tried first by the next connection.
    public private(set) var nodeIndex = 0
    /// Whether the connected server is a Galera node (nil while disconnected).
    public private(set) var isGaleraNode: Bool?

    // A bound on cached statements; the service uses about a dozen, ad-hoc SQL should not grow it forever.
    private static let statementCacheLimit = 64

    /// Connects now; throws `.connectionLost` when the server cannot be reached.
    public init(settings: ConnectionSettings) throws(MariaDBError) {
        self.settings = settings
        try libraryInit()
        try open()
    }

    /// A connection that is opened by its first statement (`connectingNow: false`), so that a server that is
    /// down when the connection is made is an error of the first statement, not of construction.
    public init(settings: ConnectionSettings, connectingNow: Bool) {
        self.settings = settings
        // A failed library start-up shows again as an error of the first statement.
        if (try? libraryInit()) != nil, connectingNow { try? open() }
    }

    deinit { disconnect() }

    /// True while a server connection is held (false after a loss, until the next statement reconnects).
    public var isConnected: Bool { handle != nil }

    /// The node connected to, or tried first by the next connection.
    public var currentEndpoint: ConnectionSettings.Endpoint { settings.endpoints[nodeIndex] }

    /// The server's id for this connection (`CONNECTION_ID()`), nil while disconnected.
    public var serverConnectionID: UInt64? {
        handle.map { UInt64(mysql_thread_id($0)) }
    }

    /// Runs `CALL procedure(?, …)` with `arguments` bound, and returns all result sets it produced.
    ///
    /// - Parameter idempotent: re-send once on a new connection if the connection is lost during the call (only
    ///   for a procedure whose repetition cannot do anything twice).
    public func call(_ procedure: String, _ arguments: [SQLValue], idempotent: Bool)
        throws(MariaDBError) -> [ResultSet]
    {
        guard !procedure.isEmpty, procedure.utf8.count <= 64,
              procedure.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 < 128 && isAlphanumeric($0)) })
        else { throw .usage("procedure names are letters, digits and underscore only") }
        let placeholders = Array(repeating: "?", count: arguments.count).joined(separator: ", ")
        return try execute("CALL \(procedure)(\(placeholders))", arguments, idempotent: idempotent)
    }

    /// Prepares (or reuses) `sql` and runs it with `arguments` bound to its `?` placeholders.
    ///
    /// `sql` must be constant text: values go in `arguments`, never into the string.
    /// - Parameter idempotent: re-send once on a new connection if the connection is lost during execution.
    public func execute(_ sql: String, _ arguments: [SQLValue] = [], idempotent: Bool = false)
        throws(MariaDBError) -> [ResultSet]
    {
        if handle == nil {
            try open()
            reconnectCount += 1
        }
        do {
            return try runOnce(sql, arguments)
        } catch let error where error.isConnectionLost {
            disconnect()
            moveToNextNode()
            guard idempotent else { throw error }
            try open()
            reconnectCount += 1
            return try runOnce(sql, arguments)
        }
    }

    /// Closes the connection; a later statement reconnects.
    public func close() {
        disconnect()
    }

    private func runOnce(_ sql: String, _ arguments: [SQLValue]) throws(MariaDBError) -> [ResultSet] {
        let statement = try prepared(sql)
        do {
            return try statement.run(arguments)
        } catch let error where error.code == ErrorNumber.unknownStatementHandler {
            // The server forgot the statement (e.g. it was closed server-side): prepare again and run once.
            // It did not execute, so this is safe for any statement.
            drop(sql)
            return try prepared(sql).run(arguments)
        } catch let error where !error.isConnectionLost {
            statement.reset()
            throw error
        }
    }

    private func prepared(_ sql: String) throws(MariaDBError) -> PreparedStatement {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw .connectionLost(code: 2006, message: "not connected") }
        if statements.count >= Self.statementCacheLimit { closeStatements() }
        let statement = try PreparedStatement(connection: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    private func drop(_ sql: String) {
        statements.removeValue(forKey: sql)?.close()
    }

    private func closeStatements() {
        for statement in statements.values { statement.close() }
        statements.removeAll()
    }

    private func disconnect() {
        closeStatements()
        if let handle { mysql_close(handle) }
        handle = nil
        isGaleraNode = nil
    }

    /// The next connection starts with the next node (a no-op for one server).
    private func moveToNextNode() {
        nodeIndex = (nodeIndex + 1) % settings.endpoints.count
    }

    /// Connects to the current node or, when it cannot be reached or cannot serve, to the next ones in turn.
    /// Throws the last node's error when none can be used.
    private func open() throws(MariaDBError) {
        let count = settings.endpoints.count
        var failure: MariaDBError?
        for _ in 0..<count {
            do {
                try open(settings.endpoints[nodeIndex])
                return
            } catch let error where error.isConnectionLost {
                failure = error
                moveToNextNode()
            }
        }
        throw failure ?? .connectionLost(code: 2002, message: "no server to connect to")
    }

    private func open(_ endpoint: ConnectionSettings.Endpoint) throws(MariaDBError) {
        guard let mysql = mysql_init(nil) else { throw .client(code: 2008, message: "mysql_init: out of memory") }
        do {
            try configure(mysql, endpoint)
            try connect(mysql, endpoint)
        } catch {
            mysql_close(mysql)
            throw error
        }
        handle = mysql
        do {
            try prepareSession()
        } catch {
            disconnect()
            throw error
        }
    }

    /// Asks whether the server is a Galera node, and if so whether it may serve (`wsrep_ready`): a node that is
    /// not part of the primary component answers every call with 1047, so it is passed over now, as an unreachable
    /// server would be. A Galera node gets the session's `wsrep_sync_wait`. Any other server is used as it is.
    private func prepareSession() throws(MariaDBError) {
        let probe = "SELECT @@global.wsrep_on, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
            + " WHERE VARIABLE_NAME = 'WSREP_READY')"
        let row: Row
        do {
            guard let first = try runOnce(probe, []).first?.rows.first else { return }
            row = first
        } catch let error where !error.isConnectionLost {
            // 1193, unknown system variable: a server without Galera support.
            isGaleraNode = false
            return
        }
        let wsrepOn = row.values.first ?? nil
        isGaleraNode = wsrepOn == "1" || wsrepOn?.uppercased() == "ON"
        guard isGaleraNode == true else { return }
        guard (row.values.dropFirst().first ?? nil)?.uppercased() == "ON" else {
            throw .connectionLost(code: 1047, message: "the Galera node is not ready to serve (wsrep_ready is OFF)")
        }
        if let syncWait = settings.galeraSyncWait {
            _ = try runOnce("SET SESSION wsrep_sync_wait = \(max(0, min(syncWait, 15)))", [])
        }
    }

    private func configure(_ mysql: UnsafeMutablePointer<MYSQL>, _ endpoint: ConnectionSettings.Endpoint)
        throws(MariaDBError)
    {
        try setOption(mysql, MYSQL_OPT_CONNECT_TIMEOUT, UInt32(clamping: settings.connectTimeoutSeconds))
        try setOption(mysql, MYSQL_OPT_READ_TIMEOUT, UInt32(clamping: settings.readTimeoutSeconds))
        try setOption(mysql, MYSQL_OPT_WRITE_TIMEOUT, UInt32(clamping: settings.writeTimeoutSeconds))
        try setOption(mysql, MYSQL_OPT_LOCAL_INFILE, UInt32(0))
        // This class reconnects itself, knowing which statements are safe to repeat; the library must not.
        try setOption(mysql, MYSQL_OPT_RECONNECT, CChar(0))
        switch endpoint {
        case .unixSocket: try setOption(mysql, MYSQL_OPT_PROTOCOL, MYSQL_PROTOCOL_SOCKET.rawValue)
        case .tcp: try setOption(mysql, MYSQL_OPT_PROTOCOL, MYSQL_PROTOCOL_TCP.rawValue)
        }
        try setText(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        if let seconds = settings.lockWaitTimeoutSeconds {
            try setText(mysql, MYSQL_INIT_COMMAND, "SET SESSION innodb_lock_wait_timeout = \(max(1, seconds))")
        }
    }

    private func connect(_ mysql: UnsafeMutablePointer<MYSQL>, _ endpoint: ConnectionSettings.Endpoint)
        throws(MariaDBError)
    {
        let host: String?
        let port: UInt32
        let socket: String?
        switch endpoint {
        case .unixSocket(let path): (host, port, socket) = ("localhost", 0, path)
        case .tcp(let name, let number): (host, port, socket) = (name, UInt32(clamping: number), nil)
        }
        let multiResults: UInt = 1 << 17  // CLIENT_MULTI_RESULTS: a CALL answers with several result sets
        let connected = withOptionalCString(host) { host in
            withOptionalCString(settings.user) { user in
                withOptionalCString(settings.password) { password in
                    withOptionalCString(settings.database) { database in
                        withOptionalCString(socket) { socket in
                            mysql_real_connect(mysql, host, user, password, database, port, socket, multiResults)
                        }
                    }
                }
            }
        }
        if connected == nil { throw connectionError(mysql) }
    }

    private func setOption<Value>(_ mysql: UnsafeMutablePointer<MYSQL>, _ option: mysql_option, _ value: Value)
        throws(MariaDBError)
    {
        var copy = value
        let status = withUnsafePointer(to: &copy) { mysql_options(mysql, option, UnsafeRawPointer($0)) }
        if status != 0 { throw .client(code: Int(status), message: "mysql_options failed") }
    }

    private func setText(_ mysql: UnsafeMutablePointer<MYSQL>, _ option: mysql_option, _ text: String)
        throws(MariaDBError)
    {
        let status = text.withCString { mysql_options(mysql, option, UnsafeRawPointer($0)) }
        if status != 0 { throw .client(code: Int(status), message: "mysql_options failed") }
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

private func isAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
}

private func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
