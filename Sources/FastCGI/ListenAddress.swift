/// Where the responder listens: a unix socket, a TCP address, or a socket inherited on fd 0.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix-domain socket at this path (created at start, removed at exit).
    case unixSocket(path: String)
    /// A TCP address, e.g. `127.0.0.1:9000`.
    case tcp(host: String, port: Int)
    /// The listening socket handed over on fd 0 by systemd socket activation or `spawn-fcgi`.
    case inherited

    /// Reads `THREEPAY_LISTEN`-style text: a path (`/run/threepay.sock`, `./var/x.sock`),
    /// `host:port`, `:port`, or `fd:0` / `inherited`.
    public init(parsing text: String) throws(ListenAddressError) {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.isEmpty { throw ListenAddressError(text: text, reason: "it is empty") }
        if value == "fd:0" || value == "inherited" {
            self = .inherited
            return
        }
        if value.hasPrefix("/") || value.hasPrefix("./") || value.hasPrefix("../") || value.hasPrefix("unix:") {
            let path = value.hasPrefix("unix:") ? String(value.dropFirst(5)) : value
            guard path.utf8.count < 108 else {
                throw ListenAddressError(text: text, reason: "a unix socket path must be shorter than 108 bytes")
            }
            self = .unixSocket(path: path)
            return
        }
        guard let colon = value.lastIndex(of: ":") else {
            throw ListenAddressError(text: text, reason: "expected a socket path or host:port")
        }
        var host = String(value[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port) else {
            throw ListenAddressError(text: text, reason: "the port must be a number from 1 to 65535")
        }
        self = .tcp(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .inherited: "fd:0"
        }
    }
}

/// A listen address that could not be understood.
public struct ListenAddressError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "cannot listen on '\(text)': \(reason)" }
}

import Foundation
