import CurlClient
import Foundation
import XCTest

/// SIGTERM drains: requests in flight are answered, then the responder exits 0.
///
/// A second responder instance serves nginx's `/drain-test/` location (nginx/dev.conf.in) so the
/// stack's own responder keeps running. The sandbox adds gateway latency to keep requests in flight.
final class DrainTests: XCTestCase {
    override func tearDown() async throws {
        _ = try? await StackSandbox.run { try $0.resetFaults() }
    }

    func testSigtermLetsInFlightRequestsFinishThenExitsZero() async throws {
        let state = TestStack.stateDir
        let socket = "\(state)/drain-test.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(TestStack.binDir)/threepay")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("THREEPAY_") }
        environment["THREEPAY_LISTEN"] = socket
        environment["THREEPAY_WORKERS"] = "8"
        environment["THREEPAY_DB_SOCKET"] = "\(state)/mariadb.sock"
        environment["THREEPAY_DB_USER"] = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        environment["THREEPAY_ALIPAY_GATEWAY"] = "\(TestStack.baseURL)/gateway.do"
        environment["THREEPAY_ALIPAY_APP_ID"] = "2021000000000001"
        environment["THREEPAY_ALIPAY_APP_PRIVATE_KEY"] = "\(state)/keys/app_private.pem"
        environment["THREEPAY_ALIPAY_PUBLIC_KEY"] = "\(state)/keys/sandbox_alipay_public.pem"
        process.environment = environment
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        try await TestStack.waitHealthy("/drain-test/api/3Pay/health")
        _ = try await HTTP.postJSON("/sandbox/faults", ["latency_ms": 1500])

        let run = UUID().uuidString.prefix(6)
        let started = Date()
        async let answers = withThrowingTaskGroup(of: HTTPReply.self) { group in
            for number in 0..<6 {
                group.addTask {
                    try await HTTP.postJSON("/drain-test/api/3Pay/AliPay/ScanCode", [
                        "billnum": "DR\(run)\(number)", "billtype": "1", "body": "drain test",
                        "paytype": "01", "paymentvalue": "1.00",
                    ])
                }
            }
            var all: [HTTPReply] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        try await Task.sleep(nanoseconds: 400_000_000)
        kill(process.processIdentifier, SIGTERM)

        let finished = try await answers
        _ = try await StackSandbox.run { try $0.resetFaults() }
        XCTAssertEqual(finished.count, 6)
        for answer in finished {
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(try answer.json()["errcode"] as? Int, 0, answer.text)
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.4, "the requests were really in flight")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "the socket is removed on exit")
        let after = try await HTTP.get("/drain-test/api/3Pay/health")
        XCTAssertEqual(after.status, 502, "nothing listens after the drain")
    }
}
