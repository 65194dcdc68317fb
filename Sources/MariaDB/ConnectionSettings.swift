/// Where and how to connect to MariaDB. Read once at start-up; shared by all workers.
public struct ConnectionSettings: Sendable, Equatable {
    /// How the server is reached.
    public enum Endpoint: Sendable, Equatable {
        /// A unix domain socket, e.g. `<state>/mariadb.sock` of the private instance.
        case unixSocket(path: String)
        /// TCP to a host and port.
        case tcp(host: String, port: Int)
    }

    public var endpoint: Endpoint
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

    public init(
        endpoint: Endpoint,
        user: String,
        password: String? = nil,
        database: String = "threepay",
        connectTimeoutSeconds: Int = 5,
        readTimeoutSeconds: Int = 60,
        writeTimeoutSeconds: Int = 30,
        lockWaitTimeoutSeconds: Int? = 5
    ) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
        self.lockWaitTimeoutSeconds = lockWaitTimeoutSeconds
    }
}

extension ConnectionSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let place: String
        switch endpoint {
        case .unixSocket(let path): place = "unix:\(path)"
        case .tcp(let host, let port): place = "tcp:\(host):\(port)"
        }
        let secret = password == nil ? "no password" : "password set"
        return "MariaDB \(user)@\(place)/\(database) (\(secret))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
