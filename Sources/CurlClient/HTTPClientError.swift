/// Why an HTTP exchange failed. Messages are libcurl's; they name hosts and reasons, never bodies.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connect or total timeout expired; the request may or may not have reached the server.
    case timeout(String)
    /// No connection could be made (refused, unreachable, name not resolved): the request was not sent.
    case connectFailed(String)
    /// TLS failed (handshake, certificate verification, CA file).
    case tls(String)
    /// Any other transport failure (reset connection, oversized reply, curl setup failure …).
    case transport(String)
    /// The URL is malformed or uses a scheme other than http/https.
    case invalidURL(String)

    public var description: String {
        switch self {
        case .timeout(let message): "HTTP timeout: \(message)"
        case .connectFailed(let message): "HTTP connect failed: \(message)"
        case .tls(let message): "TLS failure: \(message)"
        case .transport(let message): "HTTP transport failure: \(message)"
        case .invalidURL(let message): "invalid URL: \(message)"
        }
    }
}
