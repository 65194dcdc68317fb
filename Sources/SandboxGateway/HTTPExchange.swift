import Alipay
import JSON

/// A request as the sandbox's pure handlers see it (the FastCGI adapter fills it in).
public struct SandboxRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String
    public var contentType: String?
    public var body: [UInt8]
    /// `X-ThreePay-*` headers (lower-case names), kept so the sink can show a callback's signature.
    public var threePayHeaders: [String: String]

    public init(
        method: String, path: String, query: String = "", contentType: String? = nil, body: [UInt8] = [],
        threePayHeaders: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.contentType = contentType
        self.body = body
        self.threePayHeaders = threePayHeaders
    }

    /// True when the body is declared (or looks) like JSON.
    public var hasJSONBody: Bool {
        if let contentType, contentType.lowercased().contains("json") { return true }
        return body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
    }

    /// True when the body is a form (declared, or sent without a content type).
    public var hasFormBody: Bool {
        guard let contentType else { return !hasJSONBody }
        return contentType.lowercased().hasPrefix("application/x-www-form-urlencoded")
    }
}

/// What a pure handler answers.
public struct SandboxReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Set for the `reset` fault: the adapter must make the reply unreadable for nginx.
    public var breakConnection: Bool = false

    public init(status: Int, contentType: String, body: [UInt8], breakConnection: Bool = false) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.breakConnection = breakConnection
    }

    /// A JSON reply (slashes not escaped: control answers are not signed).
    public static func json(_ value: JSONNode, status: Int = 200) -> SandboxReply {
        SandboxReply(status: status, contentType: "application/json; charset=utf-8",
                     body: JSONWriter.bytes(value, escapingSlashes: false))
    }

    /// `{"ok":false,"error":message}` with `status`.
    public static func error(_ message: String, status: Int) -> SandboxReply {
        json(.object([("ok", .bool(false)), ("error", .string(message))]), status: status)
    }
}
