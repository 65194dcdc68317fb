import Foundation
import TestSupport
import XCTest

/// Refunds through nginx against the sandbox gateway: a partial refund and its repeats, refusals that never reach
/// Alipay, the rest refunded so the trade closes, and a stored-value recharge refunded.
final class RefundEndToEndTests: RefundTestCase {
    func testAPartialRefundItsRepeatAndTheSameRefundnoWithAnotherAmount() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RP", billtype: "1", amount: "10.00", database)

        let first = try await RefundAPI.refund(bill, "R1", "3.50", reason: "ticket returned")
        assertRefunded(first, bill, refundno: "R1", value: "3.50", total: "3.50")
        let refunds = try await StackSandbox.run { try $0.refunds(bill.outTradeNo) }
        let refund = try XCTUnwrap(try database.refunds(autoid: bill.autoid).first)
        XCTAssertEqual(refunds, [SandboxRefundEntry(outRequestNo: try XCTUnwrap(refund["out_request_no"]), amount: "3.50")],
                       "one refund at Alipay, under the refund's own out_request_no")
        XCTAssertEqual(refund["reason"], "ticket returned")
        try await assertAlipayStatus(bill.outTradeNo, "TRADE_SUCCESS",
                       "a partial refund leaves the trade open")
        try assertRefunds(bill, database, ["R1 REFUNDED 3.50"], total: "3.50")
        let receipt = try XCTUnwrap(try database.refundReceipts(autoid: bill.autoid)["T_3Pay_Receipt_Scenic_Refund"]?.first)
        XCTAssertEqual(receipt["amount"], "3.50")
        XCTAssertEqual(receipt["refundno"], "R1")
        XCTAssertEqual(receipt["billnum"], bill.bill.billnum)

        // The repeat answers the same and calls nothing at Alipay.
        try await GatewayCalls.startCounting()
        let repeated = try await RefundAPI.refund(bill, "R1", "3.50")
        assertRefunded(repeated, bill, refundno: "R1", value: "3.50", total: "3.50")
        // The same refundno with another amount is refused.
        let other = try await RefundAPI.refund(bill, "R1", "4.00")
        XCTAssertEqual(other.errcode, 2006, other.errmsg ?? "")
        XCTAssertTrue(other.errmsg?.contains("refundno") ?? false, other.errmsg ?? "")
        try await assertGatewayCalls(0, "neither reached Alipay")
        try await assertAlipayRefunds(bill.outTradeNo, ["3.50"])
        try assertRefunds(bill, database, ["R1 REFUNDED 3.50"], total: "3.50")

        try await assertQuery(bill, status: "paid", refundedTotal: "3.50")
        try await assertCallbacks(bill, database, refunds: [("R1", "3.50", "3.50")])
    }

    func testRefundsBeyondWhatIsLeftOrOfAnUnpaidBillNeverReachAlipay() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RX", billtype: "2", amount: "5.00", database)
        let unpaid = try await LifecycleAPI.issue(LifecycleBill.next("RU", amount: "5.00"), database)
        _ = try await StackSandbox.run { try $0.scan(unpaid.outTradeNo) }
        try await GatewayCalls.startCounting()
        let beyond = try await RefundAPI.refund(bill, "R1", "5.01")
        XCTAssertEqual(beyond.errcode, 2005, beyond.errmsg ?? "")
        XCTAssertEqual(beyond.tag["refundno"], "R1")
        XCTAssertNil(beyond.tag["status"])
        try await assertGatewayCalls(0)

        _ = try await RefundAPI.refund(bill, "R2", "2.00")
        let rest = try await RefundAPI.refund(bill, "R3", "3.01")
        XCTAssertEqual(rest.errcode, 2005, "3.00 is left: \(rest.errmsg ?? "")")
        try await assertGatewayCalls(1, "R2's refund call only")
        try await assertAlipayRefunds(bill.outTradeNo, ["2.00"])
        try assertRefunds(bill, database, ["R2 REFUNDED 2.00"], total: "2.00")

        // A bill whose QR code was issued (and scanned) but never paid.
        let notPaid = try await RefundAPI.refund(unpaid, "R1", "1.00")
        XCTAssertEqual(notPaid.errcode, 2007, notPaid.errmsg ?? "")
        try await assertAlipayRefunds(unpaid.outTradeNo, [])
        try await assertAlipayStatus(unpaid.outTradeNo, "WAIT_BUYER_PAY")
        XCTAssertEqual(try database.refunds(autoid: unpaid.autoid).count, 0)
        try assertNotPaid(unpaid, database)

        // A bill nobody ever sent.
        let unknown = try await RefundAPI.refund(["billnum": ScanCodeBillNumbers.next("RN"), "billtype": "2",
                                                  "refundno": "R1", "refundvalue": "1.00"])
        XCTAssertEqual(unknown.errcode, 2003, unknown.errmsg ?? "")
        let unknownAutoid = try await RefundAPI.refund(["autoid": "999999999999", "refundno": "R1", "refundvalue": "1.00"])
        XCTAssertEqual(unknownAutoid.errcode, 2003, unknownAutoid.errmsg ?? "")
        try await assertGatewayCalls(1, "no call for the unpaid or unknown bills")
    }

    func testTheRestRefundedClosesTheTradeAndQueryAnswersRefunded() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RC", billtype: "3", amount: "10.00", database)
        assertRefunded(try await RefundAPI.refund(bill, "R1", "4.00"), bill, refundno: "R1", value: "4.00", total: "4.00")
        assertRefunded(try await RefundAPI.refund(bill, "R2", "6.00"), bill, refundno: "R2", value: "6.00", total: "10.00")

        let trade = try await StackSandbox.run { try $0.trade(bill.outTradeNo) }
        XCTAssertEqual(trade?["status"], "TRADE_CLOSED", "a full refund closes the trade at Alipay")
        XCTAssertEqual(trade?["refunded_amount"], "10.00")
        try assertRefunds(bill, database, ["R1 REFUNDED 4.00", "R2 REFUNDED 6.00"], total: "10.00")
        XCTAssertEqual(try database.record(autoid: bill.autoid)?["status"], "PAID", "the payment stays recorded")
        try await assertQuery(bill, status: "refunded", refundedTotal: "10.00")

        try await GatewayCalls.startCounting()
        let more = try await RefundAPI.refund(bill, "R3", "0.01")
        XCTAssertEqual(more.errcode, 2005, more.errmsg ?? "")
        try await assertGatewayCalls(0)
        try await assertAlipayRefunds(bill.outTradeNo, ["4.00", "6.00"])
        // Sending the bill to ScanCode again is still "already paid": the money went back, the bill is done.
        let again = try await LifecycleAPI.scanCode(bill.bill)
        XCTAssertEqual(again.errcode, 2001, again.errmsg ?? "")
        try await assertCallbacks(bill, database, refunds: [("R1", "4.00", "4.00"), ("R2", "6.00", "10.00")])
    }

    func testAStoredValueRechargeIsRefundedFromTheCardAndASpentCardIsRefused() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RV", billtype: "7", amount: "20.00", database)
        let cardno = try XCTUnwrap(bill.bill.cardno)
        XCTAssertEqual(try database.cardBalance(cardno), "20.00")

        assertRefunded(try await RefundAPI.refund(bill, "R1", "5.00"), bill, refundno: "R1", value: "5.00", total: "5.00")
        assertRefunded(try await RefundAPI.refund(bill, "R1", "5.00"), bill, refundno: "R1", value: "5.00", total: "5.00")
        XCTAssertEqual(try database.cardBalance(cardno), "15.00", "debited once")
        let debits = try database.debits(cardno: cardno)
        XCTAssertEqual(debits.map { $0["amount"] }, ["5.00"])
        XCTAssertEqual(debits.first?["balance_after"], "15.00")
        XCTAssertNil(debits.first?["reversed_at"])
        let receipt = try XCTUnwrap(
            try database.refundReceipts(autoid: bill.autoid)["T_3Pay_Receipt_StoredValueCard_Refund"]?.first)
        XCTAssertEqual(receipt["cardno"], cardno)

        // The cardholder spends all but 3.00: a refund of 10.00 would refund money that is gone.
        try database.setCardBalance(cardno, "3.00")
        try await GatewayCalls.startCounting()
        let spent = try await RefundAPI.refund(bill, "R2", "10.00")
        XCTAssertEqual(spent.errcode, 2008, spent.errmsg ?? "")
        try await assertGatewayCalls(0)
        XCTAssertEqual(try database.cardBalance(cardno), "3.00")
        try await assertAlipayRefunds(bill.outTradeNo, ["5.00"],
                       "refused before Alipay")
        assertRefunded(try await RefundAPI.refund(bill, "R3", "3.00"), bill, refundno: "R3", value: "3.00", total: "8.00")
        XCTAssertEqual(try database.cardBalance(cardno), "0.00")
        try assertRefunds(bill, database, ["R1 REFUNDED 5.00", "R3 REFUNDED 3.00"], total: "8.00")
        let callbacks = try await assertCallbacks(bill, database, refunds: [("R1", "5.00", "5.00"), ("R3", "3.00", "8.00")])
        XCTAssertEqual(Set(callbacks.map { $0.fields["cardno"] }), [cardno])
    }
}
