/// What a handler answers: an HTTP status, headers and a body, written back through FastCGI.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text answer.
    public static func text(
        _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The value of the first header with this name, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { Response.sameName($0.0, name) }?.1
    }

    /// Whether two header names are equal ignoring ASCII case, as HTTP compares them (names are ASCII tokens;
    /// Foundation's locale-aware comparison costs more than the rest of writing the head).
    public static func sameName(_ one: String, _ other: String) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        return one.utf8.count == other.utf8.count && zip(one.utf8, other.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// The CGI response head: a `Status:` line, the headers and `Content-Length`, then a blank line.
    func head() -> [UInt8] {
        var text = "Status: \(status) \(Response.reason(for: status))\r\n"
        for (name, value) in headers where !Response.sameName(name, "Content-Length") {
            // A header value never carries a line break: that would let a value inject headers. Scalars, not
            // Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
            let clean = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
            text += "\(name): \(clean)\r\n"
        }
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8)
    }

    static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}
