/// A failure reported by MariaDB or by Connector/C.
///
/// `description` and `debugDescription` name the kind and the error number only. Server messages can quote
/// values (`Duplicate entry '…'`), so the text is kept in `message`, for callers that decide to show it, and is
/// never printed by the error itself. Passwords and statement text are never stored at all.
public enum MariaDBError: Error, Sendable {
    /// A procedure raised `SIGNAL SQLSTATE '45000'`: a business rule refused the call. `message` is the
    /// English text written in sql/; `code` is its MYSQL_ERRNO (see sql/README.md).
    case rule(code: Int, message: String)
    /// Deadlock (1213) or lock wait timeout (1205): the transaction was rolled back and may simply run again.
    case retryable(code: Int, message: String)
    /// The connection is gone or could not be made (server down, restarted, killed, network), or the server cannot
    /// serve (a Galera node that is not part of the cluster's primary component).
    case connectionLost(code: Int, message: String)
    /// Any other error the server reported.
    case server(code: Int, sqlState: String, message: String)
    /// A Connector/C failure that is not about the connection (out of memory, library set-up).
    case client(code: Int, message: String)
    /// This API was misused: wrong argument count, bad procedure name, unknown column, unexpected NULL.
    case usage(String)

    /// The MariaDB or Connector/C error number (0 for `.usage`).
    public var code: Int {
        switch self {
        case .rule(let code, _), .retryable(let code, _), .connectionLost(let code, _), .client(let code, _):
            return code
        case .server(let code, _, _):
            return code
        case .usage:
            return 0
        }
    }

    /// The SQLSTATE, where one applies.
    public var sqlState: String {
        switch self {
        case .rule: return "45000"
        case .retryable(let code, _): return code == 1213 ? "40001" : "HY000"
        case .server(_, let sqlState, _): return sqlState
        case .connectionLost, .client, .usage: return "HY000"
        }
    }

    /// The full error text. May quote values sent to the server: show it deliberately, do not log it blindly.
    public var message: String {
        switch self {
        case .rule(_, let message), .retryable(_, let message), .connectionLost(_, let message),
             .client(_, let message), .server(_, _, let message):
            return message
        case .usage(let message):
            return message
        }
    }

    /// True for deadlocks and lock wait timeouts.
    public var isRetryable: Bool {
        if case .retryable = self { return true }
        return false
    }

    /// True when the connection is unusable and must be re-established.
    public var isConnectionLost: Bool {
        if case .connectionLost = self { return true }
        return false
    }
}

extension MariaDBError: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .rule(let code, _): return "MariaDB: rule violation (\(code))"
        case .retryable(let code, _): return "MariaDB: transaction conflict, retryable (\(code))"
        case .connectionLost(let code, _): return "MariaDB: connection lost or refused (\(code))"
        case .server(let code, let sqlState, _): return "MariaDB: server error \(code) (SQLSTATE \(sqlState))"
        case .client(let code, _): return "MariaDB: client library error \(code)"
        // Usage messages are written in this module and never contain values.
        case .usage(let message): return "MariaDB: usage error: \(message)"
        }
    }

    public var debugDescription: String { description }

    // `dump()` and other mirrors must not reveal `message` either.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// Error numbers with a meaning for this module.
enum ErrorNumber {
    static let deadlock = 1213
    static let lockWaitTimeout = 1205
    static let unknownStatementHandler = 1243
    static let connectionLost: Set<Int> = [
        1047,  // ER_UNKNOWN_COM_ERROR: a Galera node outside the primary component ("WSREP has not yet prepared node")
        1053,  // ER_SERVER_SHUTDOWN
        1927,  // ER_CONNECTION_KILLED
        2002,  // CR_CONNECTION_ERROR (unix socket)
        2003,  // CR_CONN_HOST_ERROR (tcp)
        2006,  // CR_SERVER_GONE_ERROR
        2013,  // CR_SERVER_LOST
        2055,  // CR_SERVER_LOST_EXTENDED
        4031,  // ER_CLIENT_INTERACTION_TIMEOUT
    ]

    /// Classifies an error number and SQLSTATE as reported by Connector/C.
    static func classify(code: Int, sqlState: String, message: String) -> MariaDBError {
        if sqlState == "45000" { return .rule(code: code, message: message) }
        if code == deadlock || code == lockWaitTimeout { return .retryable(code: code, message: message) }
        if connectionLost.contains(code) { return .connectionLost(code: code, message: message) }
        if code >= 2000 && code < 3000 { return .client(code: code, message: message) }
        return .server(code: code, sqlState: sqlState, message: message)
    }
}
