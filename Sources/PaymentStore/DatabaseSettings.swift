internal import MariaDB

/// Where the payment database is and how to log in: `THREEPAY_DB_*`.
public struct DatabaseSettings: Sendable, Equatable {
    /// One node of a cluster: a unix socket or a TCP host and port.
    public enum Node: Sendable, Equatable, CustomStringConvertible {
        case socket(String)
        case host(String, port: Int)

        public var description: String {
            switch self {
            case .socket(let path): "unix:\(path)"
            case .host(let name, let port): "\(name):\(port)"
            }
        }
    }

    public var host: String?
    public var port: Int
    /// A unix socket; wins over `host`.
    public var socket: String?
    /// The nodes of a Galera cluster (`THREEPAY_DB_SOCKETS` or `THREEPAY_DB_HOSTS`), in the order the service tries
    /// them; when set, `host` and `socket` are not used. Empty for one server.
    public var nodes: [Node]
    public var user: String
    public var password: String?
    public var name: String
    /// Connect timeout, and the longest one statement may take to answer, seconds. No procedure takes more than
    /// a second or two (lock waits are 1 s each, retried under the request's deadline), so a longer wait means the
    /// server has stopped answering: the connection is dropped and the call retried while the deadline allows.
    public var timeoutSeconds: Int
    /// Which node a connection tries first: an index into `nodes` (taken modulo their number), so that the
    /// workers of a responder spread over the cluster.
    public var firstNode: Int

    public init(host: String? = nil, port: Int = 3306, socket: String? = nil, nodes: [Node] = [], user: String,
                password: String? = nil, name: String, timeoutSeconds: Int = 5) {
        self.host = host
        self.port = port
        self.socket = socket
        self.nodes = nodes
        self.user = user
        self.password = password
        self.name = name
        self.timeoutSeconds = timeoutSeconds
        firstNode = 0
    }

    /// True when a server was named (host, socket or nodes).
    public var isConfigured: Bool { host != nil || socket != nil || !nodes.isEmpty }

    /// The nodes a connection may use, in order: `nodes`, or the one server.
    public var servers: [Node] {
        if !nodes.isEmpty { return nodes }
        return [socket.map(Node.socket) ?? .host(host ?? "127.0.0.1", port: port)]
    }

    /// The same server with every timeout at `seconds` (the health check's quick look).
    public func withTimeouts(seconds: Int) -> DatabaseSettings {
        var quick = self
        quick.timeoutSeconds = seconds
        return quick
    }

    /// The same settings for a connection that tries node `index` (modulo the number of nodes) first, then the
    /// following ones: worker `i` of a responder starts on node `i mod n`.
    public func startingAt(node index: Int) -> DatabaseSettings {
        var shifted = self
        shifted.firstNode = index
        return shifted
    }

    var connectionSettings: ConnectionSettings {
        let all = servers
        let first = ((firstNode % all.count) + all.count) % all.count
        let ordered = (all[first...] + all[..<first]).map { node -> ConnectionSettings.Endpoint in
            switch node {
            case .socket(let path): .unixSocket(path: path)
            case .host(let name, let port): .tcp(host: name, port: port)
            }
        }
        return ConnectionSettings(
            endpoint: ordered[0], user: user, password: password, database: name,
            connectTimeoutSeconds: timeoutSeconds, readTimeoutSeconds: timeoutSeconds,
            writeTimeoutSeconds: timeoutSeconds, lockWaitTimeoutSeconds: 1, otherEndpoints: Array(ordered.dropFirst()))
    }
}
