import CurlClient
import Foundation
import TestSupport
import XCTest

/// The integration tests' HTTP client for the stack behind nginx (or another nginx by full URL).
///
/// libcurl underneath, through the CurlClient module the service itself talks to Alipay with. It sends
/// exactly the headers it is given: a header given with an empty value is not sent at all, so a request can
/// go out without Accept or Content-Type (a client that omits them), which the negotiation rules need.
/// Blocking and not Sendable, like `HTTPClient`: one per thread. Async tests use `HTTP`, which runs one on a
/// thread of its own per call.
final class StackClient {
    let baseURL: String
    private let client: HTTPClient

    init(baseURL: String = TestStack.baseURL, timeoutMilliseconds: Int = 60_000) throws {
        self.baseURL = baseURL
        client = try HTTPClient(
            connectTimeoutMilliseconds: 3000, totalTimeoutMilliseconds: timeoutMilliseconds, verifyTLS: false)
    }

    /// POSTs to `path` (under `baseURL`, or a full `http://` URL). `contentType` or `accept` nil: the header is
    /// not sent.
    func post(
        _ path: String, _ body: [UInt8], contentType: String?, accept: String? = nil, headers: [(String, String)] = []
    ) throws -> HTTPReply {
        try client.post(
            url: url(path), contentType: contentType ?? "", body: body, headers: [("Accept", accept ?? "")] + headers)
    }

    /// POSTs `object` as JSON.
    func postJSON(_ path: String, _ object: [String: any Sendable]) throws -> HTTPReply {
        try post(path, Array(try JSONSerialization.data(withJSONObject: object)), contentType: "application/json")
    }

    func get(_ path: String) throws -> HTTPReply {
        try client.get(url: url(path))
    }

    /// POSTs to the ScanCode endpoint. `contentType` and `accept` nil: the header is not sent.
    func scanCode(
        _ body: [UInt8], contentType: String?, accept: String? = nil, headers: [(String, String)] = []
    ) throws -> HTTPReply {
        try post(scanCodePath, body, contentType: contentType, accept: accept, headers: headers)
    }

    /// Whether the responder answers its health check (the process and a database connection work).
    func responderIsHealthy(_ path: String = "/api/3Pay/health") -> Bool {
        guard let reply = try? get(path), reply.status == 200 else { return false }
        return reply.errcode == 0
    }

    private func url(_ path: String) -> String {
        path.hasPrefix("http://") || path.hasPrefix("https://") ? path : baseURL + path
    }
}

/// `StackClient` for async tests: every call runs on a thread of its own with a client of its own, so any
/// number of requests can be in flight at once without holding the threads Swift's tasks run on.
enum HTTP {
    /// Runs `body` with a fresh client on a thread of its own.
    static func run<Value: Sendable>(_ body: @escaping @Sendable (StackClient) throws -> Value) async throws -> Value {
        try await Background.run { try body(try StackClient()) }
    }

    static func get(_ path: String) async throws -> HTTPReply {
        try await run { try $0.get(path) }
    }

    static func post(
        _ path: String, _ body: [UInt8] = [], contentType: String? = nil, accept: String? = nil
    ) async throws -> HTTPReply {
        try await run { try $0.post(path, body, contentType: contentType, accept: accept) }
    }

    static func postJSON(_ path: String, _ object: [String: any Sendable]) async throws -> HTTPReply {
        try await run { try $0.postJSON(path, object) }
    }
}

extension HTTPReply {
    /// The body as (lossily decoded) UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }

    var data: Data { Data(body) }

    /// The envelope's errcode, nil when the body is not a ThreePay JSON envelope.
    var errcode: Int? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["errcode"] as? Int
    }

    /// The body as a JSON object, or a test failure.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard let dictionary = object as? [String: Any] else {
            XCTFail("not a JSON object: \(text)", file: file, line: line)
            return [:]
        }
        return dictionary
    }
}
