internal import MariaDB

/// Where the payment database is and how to log in: `THREEPAY_DB_*`.
public struct DatabaseSettings: Sendable, Equatable {
    public var host: String?
    public var port: Int
    /// A unix socket; wins over `host`.
    public var socket: String?
    public var user: String
    public var password: String?
    public var name: String
    /// Connect timeout, and the longest one statement may take to answer, seconds. No procedure takes more than
    /// a second or two (lock waits are 1 s each, retried under the request's deadline), so a longer wait means the
    /// server has stopped answering: the connection is dropped and the call retried while the deadline allows.
    public var timeoutSeconds: Int

    public init(host: String? = nil, port: Int = 3306, socket: String? = nil, user: String, password: String? = nil,
                name: String, timeoutSeconds: Int = 5) {
        self.host = host
        self.port = port
        self.socket = socket
        self.user = user
        self.password = password
        self.name = name
        self.timeoutSeconds = timeoutSeconds
    }

    /// True when a server was named (host or socket).
    public var isConfigured: Bool { host != nil || socket != nil }

    /// The same server with every timeout at `seconds` (the health check's quick look).
    public func withTimeouts(seconds: Int) -> DatabaseSettings {
        var quick = self
        quick.timeoutSeconds = seconds
        return quick
    }

    var connectionSettings: ConnectionSettings {
        let endpoint: ConnectionSettings.Endpoint =
            socket.map { .unixSocket(path: $0) } ?? .tcp(host: host ?? "127.0.0.1", port: port)
        return ConnectionSettings(
            endpoint: endpoint, user: user, password: password, database: name,
            connectTimeoutSeconds: timeoutSeconds, readTimeoutSeconds: timeoutSeconds,
            writeTimeoutSeconds: timeoutSeconds, lockWaitTimeoutSeconds: 1)
    }
}
