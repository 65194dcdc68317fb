import CurlClient
import Foundation
import TestSupport
import XCTest

/// SIGTERM drains: requests in flight are answered, then the responder exits 0.
///
/// A second responder (`TestResponder`, behind nginx's `/drain-test/`) is drained, so the stack's own keeps
/// running. Its requests stay in flight because the sandbox holds their precreate with a hang that only a
/// fault reset ends; the test sends SIGTERM once the sandbox holds all of them, and lets them go only once the
/// responder has stopped accepting.
final class DrainTests: XCTestCase {
    override func tearDown() async throws {
        try? await StackSandbox.run { try $0.resetFaults() }
    }

    func testSigtermLetsInFlightRequestsFinishThenExitsZero() async throws {
        let responder = try await TestResponder.start(["THREEPAY_WORKERS": "8", "THREEPAY_ALIPAY_TIMEOUT": "60000"])
        defer { responder.stop() }
        let run = UUID().uuidString.prefix(6)
        let subject = "drain \(run)"
        try await StackSandbox.run {
            try $0.setFaults(["mode": "hang", "applied": true, "count": 6, "hang_ms": 3_600_000])
        }

        let answered = SharedCounter()
        async let answers = withThrowingTaskGroup(of: HTTPReply.self) { group in
            for number in 0..<6 {
                group.addTask {
                    let answer = try await HTTP.postJSON(TestResponder.prefix + scanCodePath, [
                        "billnum": "DR\(run)\(number)", "billtype": "1", "body": subject,
                        "paytype": "01", "paymentvalue": "1.00",
                    ])
                    answered.increment()
                    return answer
                }
            }
            var all: [HTTPReply] = []
            for try await answer in group { all.append(answer) }
            return all
        }

        // In flight: the sandbox has booked all six trades (the fault applies them before hanging) and holds
        // every answer.
        try await Poll.eventually("the sandbox holding six precreates", seconds: 30) {
            try await StackSandbox.run { try $0.trades(subject: subject) }.count == 6
        }
        XCTAssertEqual(answered.value, 0, "the requests were in flight when SIGTERM was sent")
        kill(responder.pid, SIGTERM)

        // The drain has begun once the responder accepts nothing more: nginx then answers 502 itself.
        try await Poll.eventually("the responder refusing new requests", seconds: 30) {
            try await HTTP.get(TestResponder.prefix + "/api/3Pay/health").status == 502
        }
        XCTAssertTrue(responder.isRunning, "the responder waits for the requests in flight")
        XCTAssertEqual(answered.value, 0)
        try await StackSandbox.run { sandbox in
            try sandbox.resetFaults(until: "the six requests answered") { answered.value == 6 }
        }

        let finished = try await answers
        XCTAssertEqual(finished.count, 6)
        for answer in finished {
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(try answer.json()["errcode"] as? Int, 0, answer.text)
        }
        let exit = try responder.exit()
        XCTAssertEqual(exit.reason, .exit)
        XCTAssertEqual(exit.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: responder.socket), "the socket is removed on exit")
        let after = try await HTTP.get(TestResponder.prefix + "/api/3Pay/health")
        XCTAssertEqual(after.status, 502, "nothing listens after the drain")
    }
}
