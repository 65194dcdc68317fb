import FastCGI
import PaymentModel

/// Matches a request to an endpoint by path (case-insensitive, as the original ASP.NET routes were)
/// and method, answering 404 for unknown paths and 405 (with `Allow`) for a known path and wrong method.
struct Router {
    /// Answers a request within its deadline.
    typealias Endpoint = (Request, Deadline) -> Response

    private var routes: [String: [(method: String, endpoint: Endpoint)]] = [:]

    mutating func add(_ method: String, _ path: String, _ endpoint: @escaping Endpoint) {
        routes[Router.key(path), default: []].append((method, endpoint))
    }

    enum Match {
        case endpoint(Endpoint)
        case notFound
        case methodNotAllowed(allowed: [String])
    }

    func match(_ request: Request) -> Match {
        guard let candidates = routes[Router.key(request.path)] else { return .notFound }
        let method = request.method.uppercased()
        if let hit = candidates.first(where: { $0.method == method }) { return .endpoint(hit.endpoint) }
        if method == "HEAD", let get = candidates.first(where: { $0.method == "GET" }) { return .endpoint(get.endpoint) }
        return .methodNotAllowed(allowed: candidates.map(\.method))
    }

    /// Paths compare without case and without a trailing slash.
    static func key(_ path: String) -> String {
        var lowered = path.lowercased()
        while lowered.count > 1, lowered.hasSuffix("/") { lowered.removeLast() }
        return lowered
    }
}
