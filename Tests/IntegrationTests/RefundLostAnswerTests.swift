import Foundation
import TestSupport
import XCTest

/// A refund whose answer is lost: Alipay applied it (or never got it), ThreePay cannot tell, answers `pending`
/// (3002), and the same refundno sent again — or the sweep — settles it with a refund query, never with a second
/// refund or a new out_request_no.
final class RefundLostAnswerTests: RefundTestCase {
    /// The sandbox applies the refund, then answers HTTP 502 instead of the result.
    static let appliedThen502: [String: any Sendable] = ["mode": "http502", "applied": true, "count": 1]

    func testARefundWhoseAnswerWasLostIsPendingAndSendingItAgainSettlesIt() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RL", billtype: "2", amount: "10.00", database)
        try await StackSandbox.run { try $0.setFaults(Self.appliedThen502) }
        let lost = try await RefundAPI.refund(bill, "R1", "4.00")
        // The sandbox also notifies the refund it applied. Usually the request records PENDING first and answers
        // 3002; when the notification is recorded first, the outcome is known and the answer says refunded.
        // Either way the answer agrees with itself.
        if lost.errcode == 0 {
            assertRefunded(lost, bill, refundno: "R1", value: "4.00", total: "4.00")
        } else {
            XCTAssertEqual(lost.errcode, 3002, lost.errmsg ?? "")
            XCTAssertTrue(lost.errmsg?.contains("502") ?? false, lost.errmsg ?? "")
            XCTAssertTrue(lost.errmsg?.contains("pending") ?? false, lost.errmsg ?? "")
            XCTAssertEqual(lost.tag["refundno"], "R1")
            XCTAssertEqual(lost.tag["refundvalue"], "4.00")
            XCTAssertEqual(lost.tag["status"], "pending")
            XCTAssertEqual(lost.tag["refundedtotal"], "0.00")
        }
        try await assertAlipayRefunds(bill.outTradeNo, ["4.00"], "the sandbox applied it")

        let settled = try await RefundAPI.refund(bill, "R1", "4.00")
        assertRefunded(settled, bill, refundno: "R1", value: "4.00", total: "4.00")
        let refunds = try await StackSandbox.run { try $0.refunds(bill.outTradeNo) }
        XCTAssertEqual(refunds.count, 1, "exactly one refund at Alipay: \(refunds)")
        XCTAssertEqual(refunds.first?.outRequestNo, try database.refunds(autoid: bill.autoid).first?["out_request_no"])
        try assertRefunds(bill, database, ["R1 REFUNDED 4.00"], total: "4.00")
        try await assertCallbacks(bill, database, refunds: [("R1", "4.00", "4.00")])
    }

    /// The same, with the refund notifications going elsewhere (a responder that gives Alipay another notify_url
    /// issued the code): ThreePay learns the outcome only by asking, so the pending answer and the refund query
    /// that settles it happen every time. A second lost refund is settled by the sweep.
    func testWithoutTheNotificationThePendingRefundIsSettledByARefundQueryOrTheSweep() async throws {
        let database = try StackDatabase()
        let responder = try await RefundBills.responderNotifyingElsewhere()
        defer { responder.stop() }
        let issued = try await RefundBills.issuedNotifyingElsewhere("RQ", billtype: "6", amount: "10.00", database)
        let (autoid, outTradeNo) = (issued.autoid, issued.outTradeNo)
        let trade = try await StackSandbox.run { try $0.trade(outTradeNo) }
        XCTAssertEqual(trade?["notify_url"], TestStack.baseURL + "/sandbox/sink")
        _ = try await StackSandbox.run { try $0.pay(outTradeNo) }
        // The payment's notification went to the sink too: Query records the payment.
        try await assertQuery(issued, status: "paid", refundedTotal: "0.00")

        try await StackSandbox.run { try $0.setFaults(Self.appliedThen502) }
        let lost = try await RefundAPI.refund(issued, "R1", "4.00")
        XCTAssertEqual(lost.errcode, 3002, lost.errmsg ?? "")
        XCTAssertEqual(lost.tag["status"], "pending")
        XCTAssertEqual(lost.tag["refundedtotal"], "0.00", "nothing recorded as refunded yet")
        let pending = try XCTUnwrap(try database.refunds(autoid: autoid).first)
        XCTAssertEqual(pending["status"], "PENDING")
        XCTAssertNil(pending["lease_until"])
        XCTAssertEqual(try database.callbacks(autoid: autoid).count, 1, "no refund callback before the refund is known")
        let requestNo = try XCTUnwrap(pending["out_request_no"])
        try await Poll.eventually("the refund's notification at the sink", seconds: 30) {
            try await StackSandbox.run { try $0.sink() }.contains { $0.body.contains("out_biz_no=\(requestNo)") }
        }
        XCTAssertEqual(try database.refunds(autoid: autoid).first?["status"], "PENDING", "ThreePay was not told")

        // Sent again: a refund query finds it made; nothing is sent to Alipay twice.
        try await GatewayCalls.startCounting()
        let settled = try await RefundAPI.refund(issued, "R1", "4.00")
        assertRefunded(settled, issued, refundno: "R1", value: "4.00", total: "4.00")
        try await assertGatewayCalls(1, "the refund query")
        let refunds = try await StackSandbox.run { try $0.refunds(outTradeNo) }
        XCTAssertEqual(refunds, [SandboxRefundEntry(outRequestNo: requestNo, amount: "4.00")])

        // A second lost refund, left to the sweep.
        try await StackSandbox.run { try $0.setFaults(Self.appliedThen502) }
        let second = try await RefundAPI.refund(issued, "R2", "6.00")
        XCTAssertEqual(second.errcode, 3002, second.errmsg ?? "")
        // One pass takes the 200 least recently updated open refunds; a database with more (refunds of trades other
        // tests left open) needs another pass, which the sweep's rotation gives.
        try await Poll.eventually("R2 settled by the sweep", seconds: 60, every: 0.2) {
            let sweep = try LifecycleProcesses.sweep()
            XCTAssertEqual(sweep.status, 0, sweep.output)
            return try database.refunds(autoid: autoid).last?["status"] == "REFUNDED"
        }
        try assertRefunds(issued, database, ["R1 REFUNDED 4.00", "R2 REFUNDED 6.00"], total: "10.00")
        assertRefunded(try await RefundAPI.refund(issued, "R2", "6.00"), issued, refundno: "R2", value: "6.00",
                       total: "10.00")
        try await assertAlipayRefunds(outTradeNo, ["4.00", "6.00"])
        try await assertAlipayStatus(outTradeNo, "TRADE_CLOSED")
        try await assertQuery(issued, status: "refunded", refundedTotal: "10.00")
    }

    func testARefundAlipayNeverReceivedIsSentAgainWithTheSameNumber() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RF", billtype: "3", amount: "10.00", database)
        // The gateway fails before Alipay applies anything.
        try await StackSandbox.run { try $0.setFaults(["mode": "http502", "applied": false, "count": 1]) }
        let lost = try await RefundAPI.refund(bill, "R1", "2.50")
        XCTAssertEqual(lost.errcode, 3002, lost.errmsg ?? "")
        XCTAssertEqual(lost.tag["status"], "pending")
        try await assertAlipayRefunds(bill.outTradeNo, [])
        let requestNo = try XCTUnwrap(try database.refunds(autoid: bill.autoid).first?["out_request_no"])

        // Sent again: the refund query says Alipay never received it, so it is sent — under the same number.
        try await GatewayCalls.startCounting()
        assertRefunded(try await RefundAPI.refund(bill, "R1", "2.50"), bill, refundno: "R1", value: "2.50", total: "2.50")
        try await assertGatewayCalls(2, "the refund query, then the refund")
        let refunds = try await StackSandbox.run { try $0.refunds(bill.outTradeNo) }
        XCTAssertEqual(refunds, [SandboxRefundEntry(outRequestNo: requestNo, amount: "2.50")])
        try assertRefunds(bill, database, ["R1 REFUNDED 2.50"], total: "2.50")
    }
}
