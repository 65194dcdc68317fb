import Foundation
import TestSupport
import XCTest

/// A database outage while Alipay notifies: ThreePay must not acknowledge what it could not record, and
/// Alipay's resend (sandbox schedule 1, 2, 4, 8, 16 s) records the payment once the database is back.
final class LifecycleOutageTests: LifecycleTestCase {
    override func tearDown() async throws {
        // Whatever happened in the test, the stack's database must be running for the tests after it.
        LifecycleProcesses.ensureDatabaseRunning()
        try await super.tearDown()
    }

    func testNotificationDuringDatabaseOutageIsRecordedByAlipaysResend() async throws {
        guard LifecycleProcesses.hasPrivateDatabase else {
            throw XCTSkip("the stack uses an external database; this test stops the private one")
        }
        let bill = LifecycleBill.next("LO", billtype: "6", amount: "3.21")
        let payment: LifecycleIssued
        do {
            let database = try StackDatabase()
            payment = try await LifecycleAPI.issue(bill, database)
        }

        let stopped = try LifecycleProcesses.mariadb("stop")
        XCTAssertEqual(stopped.status, 0, stopped.output)
        var databaseDown = true
        defer { if databaseDown { LifecycleProcesses.ensureDatabaseRunning() } }

        let paid = try await StackSandbox.run { try $0.pay(payment.outTradeNo) }
        XCTAssertTrue(paid.text.contains("queued"), paid.text)
        try await Poll.eventually("the first notification attempt", seconds: 30, every: 0.05) {
            try await !StackSandbox.run { try $0.notifications(payment.outTradeNo) }.isEmpty
        }
        let firstAttempts = try await StackSandbox.run { try $0.notifications(payment.outTradeNo) }
        let first = try XCTUnwrap(firstAttempts.first)
        XCTAssertFalse(first.delivered, "ThreePay could not record the payment, so it must not say success")
        XCTAssertNotEqual(first.reply, "success")
        XCTAssertEqual(first.statusCode, 503, "the database is unavailable: \(first.reply)")
        let health = try await HTTP.get("/api/3Pay/health")
        XCTAssertNotEqual(health.status, 200, "health reports the outage: \(health.text)")

        let started = try LifecycleProcesses.mariadb("start")
        databaseDown = false
        XCTAssertEqual(started.status, 0, started.output)

        let database = try StackDatabase()
        try await Poll.eventually("the resend recorded the payment", seconds: 35, every: 0.25) {
            try database.record(autoid: payment.autoid)?["status"] == "PAID"
        }
        // The sandbox logs an attempt once ThreePay's answer has arrived, a moment after the commit.
        let attempts = try await Poll.eventualValue("the sandbox logged the acknowledged resend", seconds: 10) {
            let logged = try await StackSandbox.run { try $0.notifications(payment.outTradeNo) }
            return logged.contains(where: \.delivered) ? logged : nil
        }
        let delivered = try XCTUnwrap(attempts.first(where: \.delivered), "attempts: \(attempts)")
        XCTAssertGreaterThan(delivered.attempt, 1, "a resend, not the first attempt, was acknowledged")
        XCTAssertTrue(attempts.filter { $0.attempt < delivered.attempt }.allSatisfy { !$0.delivered })
        XCTAssertEqual(attempts.filter(\.delivered).count, 1, "Alipay stops resending after success")

        try await assertPaidOnce(payment, database, source: "notify")
        try await assertQueryPaid(payment)
        let callback = try await LifecycleCallbacks.first(autoid: payment.autoid, billnum: bill.billnum)
        try LifecycleCallbacks.assertSigned(callback, database)
        XCTAssertEqual(callback.fields["status"], "paid")
    }
}
