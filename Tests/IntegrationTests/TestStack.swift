import Foundation
import TestSupport

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

    /// Waits until a responder's health route (the stack's, or `path` for another one behind nginx) says 200:
    /// the process is up and reaches the database.
    static func waitHealthy(_ path: String = "/api/3Pay/health", seconds: Double = 60) async throws {
        var last = "no answer"
        try await Poll.eventually("\(path) healthy (last: \(last))", seconds: seconds, every: 0.1) {
            guard let answer = try? await HTTP.get(path) else { return false }
            last = "HTTP \(answer.status) \(answer.text.prefix(200))"
            return answer.status == 200
        }
    }
}
