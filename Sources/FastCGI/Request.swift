/// One FastCGI request as the responder sees it: the CGI parameters nginx sent and the whole body.
public struct Request: Sendable {
    /// The HTTP method, upper case as nginx passes it (`GET`, `POST`).
    public let method: String
    /// The decoded path without the query string (`DOCUMENT_URI`), e.g. `/api/3Pay/AliPay/ScanCode`.
    public let path: String
    /// The raw query string (`QUERY_STRING`), without the `?`.
    public let query: String
    /// Every FastCGI parameter as received.
    public let params: [String: String]
    /// The request body, read fully; empty when `bodyTooLarge` is set.
    public let body: [UInt8]
    /// True when the body was larger than the configured limit and was not read.
    public let bodyTooLarge: Bool
    /// The client address nginx saw (`REMOTE_ADDR`).
    public let remoteAddress: String
    /// HTTP headers keyed by lower-case name (`content-type`, `accept`, `x-requested-with`).
    public let headers: [String: String]

    public init(
        method: String, path: String, query: String = "", params: [String: String] = [:],
        headers: [String: String] = [:], body: [UInt8] = [], bodyTooLarge: Bool = false,
        remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.params = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.remoteAddress = remoteAddress
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
    }

    /// Builds a request from FastCGI parameters, deriving the method, path, query and headers.
    public init(params: [String: String], body: [UInt8], bodyTooLarge: Bool) {
        let rawURI = params["REQUEST_URI"] ?? "/"
        let path = params["DOCUMENT_URI"] ?? String(rawURI.prefix { $0 != "?" })
        self.init(
            method: params["REQUEST_METHOD"] ?? "GET",
            path: path,
            query: params["QUERY_STRING"] ?? "",
            params: params,
            headers: Request.headers(fromParams: params),
            body: body,
            bodyTooLarge: bodyTooLarge,
            remoteAddress: params["REMOTE_ADDR"] ?? ""
        )
    }

    /// The value of an HTTP header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// Turns CGI variables into HTTP header names: `HTTP_X_REQUESTED_WITH` → `x-requested-with`.
    static func headers(fromParams params: [String: String]) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            // HTTP_X_REQUESTED_WITH → x-requested-with, byte by byte (this runs for every request).
            let bytes = name.utf8.dropFirst(5).map { byte -> UInt8 in
                switch byte {
                case UInt8(ascii: "_"): UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
                default: byte
                }
            }
            headers[String(decoding: bytes, as: UTF8.self)] = value
        }
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers["content-length"] = length }
        return headers
    }
}
