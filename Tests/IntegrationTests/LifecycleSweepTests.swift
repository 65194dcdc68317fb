import Foundation
import XCTest

/// `threepay sweep` settles records left behind: expired QR codes and records whose precreate outcome
/// was unknown are voided at Alipay and closed; a payment whose notification was lost is recorded.
///
/// Records are made stale by moving their times back in the test database (the QR validity is 15 minutes).
final class LifecycleSweepTests: LifecycleTestCase {
    func testSweepClosesExpiredCodesAndRecordsALostPayment() async throws {
        let database = try StackDatabase()

        // An expired QR code the buyer had scanned but never paid.
        let expired = try await LifecycleAPI.issue(LifecycleBill.next("LS", billtype: "1", amount: "2.00"), database)
        _ = try await StackSandbox.run { try $0.scan(expired.outTradeNo) }

        // A record whose precreate outcome is unknown: Alipay booked the trade, ThreePay saw a 502.
        let unknownBill = LifecycleBill.next("LS", billtype: "2", amount: "3.00")
        try await StackSandbox.run { try $0.setFaults(["mode": "http502", "applied": true, "count": 1]) }
        let failed = try await LifecycleAPI.scanCode(unknownBill)
        try await StackSandbox.run { try $0.resetFaults() }
        XCTAssertEqual(failed.errcode, 3002, "outcome unknown: \(failed.errmsg ?? "")")
        let unknownRecord = try XCTUnwrap(try database.records(billtype: "2", billnum: unknownBill.billnum).last)
        XCTAssertEqual(unknownRecord["status"], "UNKNOWN")
        let unknown = LifecycleIssued(
            bill: unknownBill, autoid: try XCTUnwrap(unknownRecord["autoid"].flatMap { Int64($0) }),
            outTradeNo: try XCTUnwrap(unknownRecord["out_trade_no"]))
        let booked = try await StackSandbox.run { try $0.trade(unknown.outTradeNo) }
        XCTAssertNotNil(booked, "the sandbox booked it")

        // Paid at Alipay, the notification lost, the QR code expired since.
        let lost = try await LifecycleAPI.issue(LifecycleBill.next("LS", billtype: "7", amount: "4.00"), database)
        _ = try await StackSandbox.run { try $0.pay(lost.outTradeNo, notify: false) }

        try database.age([expired, unknown, lost].map(\.autoid), minutes: 20)

        let sweep = try LifecycleProcesses.sweep()
        XCTAssertEqual(sweep.status, 0, sweep.output)
        XCTAssertTrue(sweep.output.contains("sweep: examined"), sweep.output)

        for closed in [expired, unknown] {
            XCTAssertEqual(try database.record(autoid: closed.autoid)?["status"], "CLOSED", "record \(closed.autoid)")
            let trade = try await StackSandbox.run { try $0.trade(closed.outTradeNo) }
            XCTAssertEqual(trade?["status"], "TRADE_CLOSED", "voided at Alipay: \(closed.outTradeNo)")
            let late = try await StackSandbox.run { try $0.pay(closed.outTradeNo) }
            XCTAssertEqual(late.status, 409, "a voided code cannot be paid: \(late.text)")
            try assertNotPaid(closed, database, status: "CLOSED")
        }

        try await assertPaidOnce(lost, database, source: "sweep")
        try await assertQueryPaid(lost)
        XCTAssertEqual(try database.cardBalance(try XCTUnwrap(lost.bill.cardno)), "4.00")
        let callback = try await LifecycleCallbacks.first(autoid: lost.autoid, billnum: lost.bill.billnum)
        try LifecycleCallbacks.assertSigned(callback, database)
        XCTAssertEqual(callback.fields["status"], "paid")

        // A second pass finds nothing left to do for these records.
        let again = try LifecycleProcesses.sweep()
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertEqual(try database.record(autoid: lost.autoid)?["status"], "PAID")
        XCTAssertEqual(try database.receiptCounts(autoid: lost.autoid).values.reduce(0, +), 1)
    }
}
