import Foundation

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

    /// Reads the `THREEPAY_DB_*` variables, the same ones scripts/mariadb.sh understands.
    ///
    /// - `THREEPAY_DB_SOCKET`: unix socket path; else `THREEPAY_DB_HOST` (+ `THREEPAY_DB_PORT`, default 3306)
    ///   for TCP; else `defaultSocketPath` (the private instance, `<state dir>/mariadb.sock`).
    /// - `THREEPAY_DB_USER` (default: the login name of this process, which the private instance accepts
    ///   through unix_socket authentication), `THREEPAY_DB_PASSWORD` or `THREEPAY_DB_PASSWORD_FILE`
    ///   (first line of the file), `THREEPAY_DB_NAME` (default `threepay`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        defaultSocketPath: String
    ) throws(MariaDBError) -> ConnectionSettings {
        func value(_ key: String) -> String? {
            guard let text = environment[key], !text.isEmpty else { return nil }
            return text
        }
        let endpoint: Endpoint
        if let socket = value("THREEPAY_DB_SOCKET") {
            endpoint = .unixSocket(path: socket)
        } else if let host = value("THREEPAY_DB_HOST") {
            let portText = value("THREEPAY_DB_PORT") ?? "3306"
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw .usage("THREEPAY_DB_PORT must be a port number")
            }
            endpoint = .tcp(host: host, port: port)
        } else {
            endpoint = .unixSocket(path: defaultSocketPath)
        }
        var password = value("THREEPAY_DB_PASSWORD")
        if password == nil, let file = value("THREEPAY_DB_PASSWORD_FILE") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .usage("THREEPAY_DB_PASSWORD_FILE cannot be read")
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        }
        return ConnectionSettings(
            endpoint: endpoint,
            user: value("THREEPAY_DB_USER") ?? ProcessInfo.processInfo.userName,
            password: password,
            database: value("THREEPAY_DB_NAME") ?? "threepay"
        )
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
