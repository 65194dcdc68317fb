/// Where and how to connect to MariaDB. Read once at start-up; shared by all workers.
public struct ConnectionSettings: Sendable, Equatable {
    /// How the server is reached.
    public enum Endpoint: Sendable, Equatable {
        /// A unix domain socket, e.g. `<state>/mariadb.sock` of the private instance.
        case unixSocket(path: String)
        /// TCP to a host and port.
        case tcp(host: String, port: Int)
    }

    /// The server; with `otherEndpoints`, the node tried first.
    public var endpoint: Endpoint
    /// Further nodes holding the same data (the other nodes of a Galera cluster), tried in turn when the current
    /// one cannot be reached, drops the connection, or is not ready to serve (a node outside the cluster's primary
    /// component). Empty for one server.
    public var otherEndpoints: [Endpoint]
    public var user: String
    /// Never printed: `description` and mirrors redact it.
    public var password: String?
    public var database: String
    public var connectTimeoutSeconds: Int
    /// How long one statement may wait for the server's answer before the connection counts as lost.
    public var readTimeoutSeconds: Int
    public var writeTimeoutSeconds: Int
    /// Session `innodb_lock_wait_timeout`; nil keeps the server's value. Keep it well below the read timeout:
    /// the procedures retry lock wait timeouts themselves.
    public var lockWaitTimeoutSeconds: Int?
    /// On a Galera node, the session's `wsrep_sync_wait` (1: every statement, a `CALL` counting as one, first waits
    /// until the node has applied everything the cluster committed before the statement began). nil keeps the
    /// server's value. Ignored by a server that is not a Galera node.
    public var galeraSyncWait: Int?

    public init(
        endpoint: Endpoint,
        user: String,
        password: String? = nil,
        database: String = "threepay",
        connectTimeoutSeconds: Int = 5,
        readTimeoutSeconds: Int = 60,
        writeTimeoutSeconds: Int = 30,
        lockWaitTimeoutSeconds: Int? = 5,
        otherEndpoints: [Endpoint] = [],
        galeraSyncWait: Int? = 1
    ) {
        self.endpoint = endpoint
        self.otherEndpoints = otherEndpoints
        self.galeraSyncWait = galeraSyncWait
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
        self.lockWaitTimeoutSeconds = lockWaitTimeoutSeconds
    }

    /// Every node, the first one first.
    public var endpoints: [Endpoint] { [endpoint] + otherEndpoints }
}

extension ConnectionSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let place = endpoints.map(\.description).joined(separator: ",")
        let secret = password == nil ? "no password" : "password set"
        return "MariaDB \(user)@\(place)/\(database) (\(secret))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

extension ConnectionSettings.Endpoint: CustomStringConvertible {
    /// `unix:<path>` or `tcp:<host>:<port>`.
    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): "tcp:\(host):\(port)"
        }
    }
}
