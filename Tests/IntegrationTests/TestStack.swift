import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the stack started by `make test` (scripts/test.sh) is: nginx's URL, the state folder, the
/// built binaries. Defaults match scripts/test.sh, so `swift test` alone works after it ran once.
enum TestStack {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static var baseURL: String { environment["THREEPAY_TEST_BASE_URL"] ?? "http://127.0.0.1:18080" }

    static var stateDir: String {
        environment["THREEPAY_STATE_DIR"] ?? packageRoot.appendingPathComponent("var/test").path
    }

    static var binDir: String {
        environment["THREEPAY_TEST_BIN_DIR"] ?? packageRoot.appendingPathComponent(".build/debug").path
    }
}

/// A plain HTTP answer.
struct HTTPAnswer: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as a JSON object, or a test failure.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        guard let dictionary = object as? [String: Any] else {
            XCTFail("not a JSON object: \(text)", file: file, line: line)
            return [:]
        }
        return dictionary
    }
}

/// Sends real HTTP requests to nginx.
enum HTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 256
        return URLSession(configuration: configuration)
    }()

    static func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: TestStack.baseURL + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headerValues: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headerValues[String(describing: key)] = String(describing: value)
        }
        return HTTPAnswer(status: http.statusCode, headers: headerValues, body: data)
    }

    static func postJSON(_ path: String, _ object: [String: Any], headers: [String: String] = [:]) async throws -> HTTPAnswer {
        var allHeaders = headers
        allHeaders["Content-Type"] = allHeaders["Content-Type"] ?? "application/json"
        return try await send("POST", path, headers: allHeaders, body: try JSONSerialization.data(withJSONObject: object))
    }
}
