import Foundation
import TestSupport
import XCTest

/// A payment's whole life through nginx: ScanCode → the buyer pays in the sandbox → notification (or
/// Query when the notification is lost) → PAID → one receipt in the billtype's table → a signed callback.
final class LifecycleEndToEndTests: LifecycleTestCase {
    func testEveryBilltypeIsPaidReceiptedAndCalledBack() async throws {
        let database = try StackDatabase()
        var issued: [LifecycleIssued] = []
        for billtype in ["1", "2", "3", "4", "5", "6", "7"] {
            let bill = LifecycleBill.next("LE", billtype: billtype, amount: "1\(billtype).0\(billtype)")
            issued.append(try await LifecycleAPI.issue(bill, database))
        }
        for payment in issued {
            let paid = try await StackSandbox.run { try $0.pay(payment.outTradeNo) }
            XCTAssertEqual(paid.status, 200, paid.text)
            XCTAssertTrue(paid.text.contains("queued"), "the sandbox sends the notification: \(paid.text)")
        }

        for payment in issued {
            try await Poll.eventually("record \(payment.autoid) PAID", seconds: 30) {
                try database.record(autoid: payment.autoid)?["status"] == "PAID"
            }
            let record = try await assertPaidOnce(payment, database, source: "notify")
            try await assertQueryPaid(payment)
            let attempts = try await StackSandbox.run { try $0.notifications(payment.outTradeNo) }
            XCTAssertEqual(attempts.first?.reply, "success", "ThreePay acknowledged the notification")
            XCTAssertTrue(attempts.first?.delivered ?? false)

            let callback = try await LifecycleCallbacks.first(autoid: payment.autoid, billnum: payment.bill.billnum)
            try LifecycleCallbacks.assertSigned(callback, database)
            XCTAssertEqual(callback.fields["status"], "paid")
            XCTAssertEqual(callback.fields["billnum"], payment.bill.billnum)
            XCTAssertEqual(callback.fields["billtype"], payment.bill.billtype)
            XCTAssertEqual(callback.fields["autoid"], String(payment.autoid))
            XCTAssertEqual(callback.fields["amount"], payment.bill.amount)
            XCTAssertEqual(callback.fields["tradeno"], record["trade_no"])
            XCTAssertEqual(callback.fields["outtradeno"], payment.outTradeNo)
            if payment.bill.billtype == "7" { XCTAssertEqual(callback.fields["cardno"], payment.bill.cardno) }
        }
        for payment in issued {
            try await Poll.eventually("outbox row of \(payment.autoid) DELIVERED", seconds: 30) {
                try database.outbox(autoid: payment.autoid).first?["status"] == "DELIVERED"
            }
            let callbacks = try await LifecycleCallbacks.received(autoid: payment.autoid, billnum: payment.bill.billnum)
            XCTAssertEqual(callbacks.count, 1, "exactly one callback for \(payment.autoid)")
        }
        let card = try XCTUnwrap(issued.last?.bill.cardno)
        XCTAssertEqual(try database.cardBalance(card), "17.07", "the billtype 7 payment credited its card")
    }

    func testLostNotificationIsFoundByQuery() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LQ", billtype: "4", amount: "23.45"), database)
        let paid = try await StackSandbox.run { try $0.pay(payment.outTradeNo, notify: false) }
        XCTAssertTrue(paid.text.contains("skipped"), paid.text)
        // A bill paid after it, with its notification: once that one is recorded, a notification of the first
        // payment, queued before it, would have been delivered and recorded too.
        let marker = try await LifecycleAPI.issue(LifecycleBill.next("LQm", billtype: "4", amount: "1.00"), database)
        let markerPaid = try await StackSandbox.run { try $0.pay(marker.outTradeNo) }
        XCTAssertTrue(markerPaid.text.contains("queued"), markerPaid.text)
        try await Poll.eventually("the later payment recorded from its notification", seconds: 30) {
            try database.record(autoid: marker.autoid)?["status"] == "PAID"
        }
        try assertNotPaid(payment, database)
        let sent = try await StackSandbox.run { try $0.notifications(payment.outTradeNo) }
        XCTAssertTrue(sent.isEmpty, "no notification was sent")

        // Query asks Alipay, because the record is not final yet, and records what it hears.
        try await assertQueryPaid(payment)
        try await assertPaidOnce(payment, database, source: "query")

        let callback = try await LifecycleCallbacks.first(autoid: payment.autoid, billnum: payment.bill.billnum)
        try LifecycleCallbacks.assertSigned(callback, database)
        XCTAssertEqual(callback.fields["status"], "paid")
        XCTAssertEqual(callback.fields["billtype"], "4")
        XCTAssertEqual(callback.fields["amount"], "23.45")

        // Asking again changes nothing.
        try await assertQueryPaid(payment)
        try await assertPaidOnce(payment, database, source: "query")
    }
}
