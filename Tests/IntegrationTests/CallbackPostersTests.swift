import Foundation
import TestSupport
import XCTest

/// The responder starts THREEPAY_CALLBACK_POSTERS background threads (`make test` asks for three, so that every
/// callback test runs with posters claiming side by side), and with several of them each payment is still
/// called back exactly once.
final class CallbackPostersTests: XCTestCase {
    /// The posters the stack was started with: what scripts/test.sh exported, else the responder's default.
    private var configured: Int {
        Int(ProcessInfo.processInfo.environment["THREEPAY_CALLBACK_POSTERS"] ?? "") ?? 1
    }

    func testTheResponderRunsAsManyPostersAsConfigured() throws {
        let expected = configured
        // The threads start after the responder answers; a responder the supervisor just restarted may be new.
        try Poll.until("\(expected) threads named threepay-bg-n in the responder", seconds: 30) {
            guard let pid = FaultStack.responderPID() else { return false }
            return Self.backgroundThreads(pid) == expected
        }
    }

    func testConcurrentPostersCallEachPaymentBackOnce() async throws {
        let database = try StackDatabase()
        var issued: [(autoid: Int64, billnum: String)] = []
        for _ in 0..<12 {
            let payment = try await LifecycleAPI.issue(LifecycleBill.next("CPp", billtype: "2", amount: "0.50"), database)
            let outTradeNo = payment.outTradeNo
            let paid = try await StackSandbox.run { try $0.pay(outTradeNo) }
            XCTAssertEqual(paid.status, 200, paid.text)
            issued.append((payment.autoid, payment.bill.billnum))
        }
        for payment in issued {
            _ = try await LifecycleCallbacks.first(autoid: payment.autoid, billnum: payment.billnum)
            try await Poll.eventually("callback of autoid \(payment.autoid) DELIVERED", seconds: 30) {
                try database.outbox(autoid: payment.autoid).first?["status"] == "DELIVERED"
            }
        }
        // One outbox row each, and one POST each at the sink.
        for payment in issued {
            XCTAssertEqual(try database.outbox(autoid: payment.autoid).count, 1, "autoid \(payment.autoid)")
            let received = try await LifecycleCallbacks.received(autoid: payment.autoid, billnum: payment.billnum)
            XCTAssertEqual(received.count, 1, "callbacks at the sink for autoid \(payment.autoid)")
        }
    }

    /// The threads of `pid` named as the background threads are (threepay-bg-n).
    private static func backgroundThreads(_ pid: pid_t) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("threepay-bg-")
        }.count
    }
}
