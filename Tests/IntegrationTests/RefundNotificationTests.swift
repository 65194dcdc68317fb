import Foundation
import TestSupport
import XCTest

/// Alipay notifies every refund (`trade_status_sync` with `out_biz_no`, `refund_fee`, `gmt_refund`; TRADE_CLOSED
/// after a full refund). ThreePay answers `success`, records a refund it did not know of (one made in the merchant
/// portal), and never takes a refund's notification for a second payment.
final class RefundNotificationTests: RefundTestCase {
    func testRefundNotificationsAreAcknowledgedAndNeverASecondPayment() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RN", billtype: "1", amount: "10.00", database)
        let outTradeNo = bill.outTradeNo

        // A refund through ThreePay, then one in the merchant portal that ThreePay never asked for.
        assertRefunded(try await RefundAPI.refund(bill, "R1", "3.00"), bill, refundno: "R1", value: "3.00", total: "3.00")
        let portal = try await StackSandbox.run {
            try $0.portalRefund(outTradeNo, amount: "2.00", outRequestNo: "PORTAL\(outTradeNo.suffix(10))")
        }
        XCTAssertEqual(portal.status, 200, portal.text)
        XCTAssertTrue(portal.text.contains("queued"), "the sandbox notifies it: \(portal.text)")
        let portalNo = "PORTAL\(outTradeNo.suffix(10))"
        try await Poll.eventually("the portal refund recorded from its notification", seconds: 30) {
            try database.refunds(autoid: bill.autoid).count == 2
        }
        try assertRefunds(bill, database, ["R1 REFUNDED 3.00", "\(portalNo) REFUNDED 2.00"], total: "5.00")
        let recorded = try XCTUnwrap(try database.refunds(autoid: bill.autoid).last)
        XCTAssertEqual(recorded["source"], "notify")
        XCTAssertEqual(recorded["out_request_no"], portalNo)
        try await assertQuery(bill, status: "paid", refundedTotal: "5.00")

        // The rest through ThreePay: the trade closes, and that notification is TRADE_CLOSED.
        assertRefunded(try await RefundAPI.refund(bill, "R2", "5.00"), bill, refundno: "R2", value: "5.00", total: "10.00")
        // Payment, R1, the portal refund and R2: four notifications, each acknowledged.
        let log = try await Poll.eventualValue("four notifications acknowledged", seconds: 30, every: 0.2) {
            let log = try await StackSandbox.run { try $0.notificationLog(outTradeNo) }
            return log.filter(\.delivered).count >= 4 ? log : nil
        }
        XCTAssertEqual(log.filter(\.delivered).map(\.status),
                       ["TRADE_SUCCESS", "TRADE_SUCCESS", "TRADE_SUCCESS", "TRADE_CLOSED"])
        XCTAssertTrue(log.allSatisfy { $0.delivered && $0.reply == "success" }, "\(log)")

        // Never a second payment: one receipt, the record's payment unchanged, one paid callback.
        let record = try XCTUnwrap(try database.record(autoid: bill.autoid))
        XCTAssertEqual(record["status"], "PAID")
        XCTAssertEqual(record["paid_amount"], "10.00")
        XCTAssertEqual(record["paid_source"], "notify")
        XCTAssertEqual(try database.records(billtype: "1", billnum: bill.bill.billnum).count, 1)
        try assertRefunds(bill, database, ["R1 REFUNDED 3.00", "\(portalNo) REFUNDED 2.00", "R2 REFUNDED 5.00"],
                          total: "10.00")
        try await assertCallbacks(bill, database, refunds: [
            ("R1", "3.00", "3.00"), (portalNo, "2.00", "5.00"), ("R2", "5.00", "10.00"),
        ])
        try await assertQuery(bill, status: "refunded", refundedTotal: "10.00")
    }

    func testARefundNotificationSentAgainChangesNothing() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RA", billtype: "7", amount: "6.00", database)
        let cardno = try XCTUnwrap(bill.bill.cardno)
        let portalNo = "PORTAL\(bill.outTradeNo.suffix(10))"
        // A portal refund whose notification is lost the first time.
        let portal = try await StackSandbox.run {
            try $0.control("refund", ["out_trade_no": bill.outTradeNo, "refund_amount": "6.00",
                                      "out_request_no": portalNo, "notify": "0"])
        }
        XCTAssertTrue(portal.text.contains("skipped"), portal.text)
        XCTAssertEqual(try database.refunds(autoid: bill.autoid).count, 0, "ThreePay does not know of it yet")
        try await assertAlipayStatus(bill.outTradeNo, "TRADE_CLOSED")

        // Alipay sends the (closed) trade's notification again, now with the refund: recorded, once, and
        // the card is debited even though nobody asked ThreePay.
        let refundFields = try refundNotification(bill, outBizNo: portalNo, refundFee: "6.00")
        let form = try LifecycleNotification.form(refundFields, key: LifecycleNotification.alipayKey())
        for _ in 0..<3 {
            let answer = try await LifecycleAPI.notify(form)
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.text, "success")
        }
        try assertRefunds(bill, database, ["\(portalNo) REFUNDED 6.00"], total: "6.00")
        XCTAssertEqual(try database.cardBalance(cardno), "0.00")
        XCTAssertEqual(try database.debits(cardno: cardno).count, 1)
        XCTAssertEqual(try database.creditCount(cardno: cardno), 1, "never a second card credit")
        try await assertCallbacks(bill, database, refunds: [(portalNo, "6.00", "6.00")])

        // A forged refund notification (not Alipay's key) changes nothing.
        let forged = try LifecycleNotification.form(
            try refundNotification(bill, outBizNo: portalNo + "X", refundFee: "6.00"),
            key: LifecycleNotification.wrongKey())
        let refused = try await LifecycleAPI.notify(forged)
        XCTAssertNotEqual(refused.text, "success")
        XCTAssertEqual(try database.refunds(autoid: bill.autoid).count, 1)
    }

    func testARefundNotificationThatArrivesBeforeThePaymentsRecordsThePaymentThenTheRefund() async throws {
        let database = try StackDatabase()
        let issued = try await LifecycleAPI.issue(LifecycleBill.next("RB", billtype: "3", amount: "7.00"), database)
        // The buyer pays, the payment's notification is lost; the merchant refunds it all in the portal.
        _ = try await StackSandbox.run { try $0.pay(issued.outTradeNo, notify: false) }
        let portalNo = "PORTAL\(issued.outTradeNo.suffix(10))"
        let portal = try await StackSandbox.run {
            try $0.portalRefund(issued.outTradeNo, amount: "7.00", outRequestNo: portalNo)
        }
        XCTAssertTrue(portal.text.contains("queued"), portal.text)
        try await Poll.eventually("the refund recorded from its notification", seconds: 30) {
            try database.refunds(autoid: issued.autoid).first?["status"] == "REFUNDED"
        }
        // The TRADE_CLOSED notification recorded the payment (never a close: the money arrived), then the refund.
        let record = try XCTUnwrap(try database.record(autoid: issued.autoid))
        XCTAssertEqual(record["status"], "PAID")
        XCTAssertEqual(record["paid_source"], "notify")
        XCTAssertEqual(record["paid_amount"], "7.00")
        let trade = try await StackSandbox.run { try $0.trade(issued.outTradeNo) }
        XCTAssertNotNil(record["trade_no"])
        XCTAssertEqual(record["trade_no"], trade?["trade_no"])
        try assertRefunds(issued, database, ["\(portalNo) REFUNDED 7.00"], total: "7.00")
        try await assertCallbacks(issued, database, refunds: [(portalNo, "7.00", "7.00")])
        try await assertQuery(issued, status: "refunded", refundedTotal: "7.00")
        let log = try await StackSandbox.run { try $0.notificationLog(issued.outTradeNo) }
        XCTAssertEqual(log.map(\.status), ["TRADE_CLOSED"])
        XCTAssertEqual(log.map(\.reply), ["success"])
    }

    /// A notification's refund_fee is the trade's running total at Alipay. A portal refund notified while one of
    /// ThreePay's own refunds is at Alipay but unrecorded (its answer lost, its notification sent elsewhere) is
    /// recorded with its own amount, which ThreePay asks Alipay's refund query for, not the total less what is
    /// recorded; the own refund then settles, and the totals agree with Alipay's.
    func testAPortalRefundBesideAnUnrecordedRefundOfOursIsRecordedWithItsOwnAmount() async throws {
        let database = try StackDatabase()
        let responder = try await RefundBills.responderNotifyingElsewhere()
        defer { responder.stop() }
        let issued = try await RefundBills.issuedNotifyingElsewhere("RX", billtype: "5", amount: "10.00", database)
        let (autoid, outTradeNo) = (issued.autoid, issued.outTradeNo)
        _ = try await StackSandbox.run { try $0.pay(outTradeNo) }
        try await assertQuery(issued, status: "paid", refundedTotal: "0.00")

        // Our refund R1 reaches Alipay, its answer is lost: PENDING here.
        try await StackSandbox.run { try $0.setFaults(["mode": "http502", "applied": true, "count": 1]) }
        let lost = try await RefundAPI.refund(issued, "R1", "4.00")
        XCTAssertEqual(lost.errcode, 3002, lost.errmsg ?? "")
        XCTAssertEqual(try database.refunds(autoid: autoid).first?["status"], "PENDING")

        // The merchant refunds 2.00 in the portal; Alipay's notification says refund_fee 6.00 (4.00 + 2.00).
        let portalNo = "PORTAL\(outTradeNo.suffix(10))"
        let portal = try await StackSandbox.run {
            try $0.control("refund", ["out_trade_no": outTradeNo, "refund_amount": "2.00",
                                      "out_request_no": portalNo, "notify": "0"])
        }
        XCTAssertEqual(portal.status, 200, portal.text)
        var fields = try refundNotification(issued, outBizNo: portalNo, refundFee: "6.00")
        fields["trade_status"] = "TRADE_SUCCESS"
        let notified = try await LifecycleAPI.notify(
            try LifecycleNotification.form(fields, key: LifecycleNotification.alipayKey()))
        XCTAssertEqual(notified.text, "success")
        try assertRefunds(issued, database, ["R1 PENDING 4.00", "\(portalNo) REFUNDED 2.00"], total: "2.00")

        // R1 sent again settles by a refund query: ThreePay's total is Alipay's.
        assertRefunded(try await RefundAPI.refund(issued, "R1", "4.00"), issued, refundno: "R1", value: "4.00",
                       total: "6.00")
        try assertRefunds(issued, database, ["R1 REFUNDED 4.00", "\(portalNo) REFUNDED 2.00"], total: "6.00")
        try await assertAlipayRefunds(outTradeNo, ["4.00", "2.00"])
        try await assertQuery(issued, status: "paid", refundedTotal: "6.00")
    }

    /// The fields of Alipay's notification of a refund on the sandbox's trade (TRADE_CLOSED: fully refunded).
    private func refundNotification(_ bill: LifecycleIssued, outBizNo: String, refundFee: String) throws
        -> [String: String]
    {
        let trade = try XCTUnwrap(try StackDatabase().record(autoid: bill.autoid))
        var fields = try LifecycleNotification.fields(paid: [
            "trade_no": try XCTUnwrap(trade["trade_no"]), "out_trade_no": bill.outTradeNo,
            "total_amount": bill.bill.amount,
        ])
        fields["trade_status"] = "TRADE_CLOSED"
        fields["out_biz_no"] = outBizNo
        fields["refund_fee"] = refundFee
        fields["gmt_refund"] = LifecycleNotification.chinaTime(Date())
        return fields
    }
}
