import CivilTime
import PaymentFlow
import PaymentModel
import XCTest

final class NotificationFlowTests: FlowTestCase {
    func paidNotification(_ outTradeNo: String = "TP1", amount: String = "7.00", seller: String? = "2088102177840000")
        -> TradeNotification
    {
        TradeNotification(
            outTradeNo: outTradeNo, tradeStatus: "TRADE_SUCCESS", tradeNo: "2026TP1", totalAmount: amount,
            gmtPayment: "2026-06-01 12:01:15", buyerID: "2088102177846880", sellerID: seller)
    }

    func testAPaymentIsRecordedOnceHoweverOftenItIsNotified() throws {
        _ = try issued(bill())
        XCTAssertEqual(flow.record(paidNotification(), deadline: deadline), .accepted)
        XCTAssertEqual(flow.record(paidNotification(), deadline: deadline), .accepted)
        XCTAssertEqual(store.receipts, [1])
        XCTAssertEqual(record(1).paidSource, .notify)
        XCTAssertEqual(record(1).paidAt.map(CivilTimeText.china.format), "2026-06-01 12:01:15")
    }

    func testAnUnknownTradeAnotherSellerOrAnotherAmountChangeNothing() throws {
        _ = try issued(bill())
        guard case .refused = flow.record(paidNotification("TP9"), deadline: deadline) else { return XCTFail() }
        guard case .refused = flow.record(paidNotification(seller: "2088999"), deadline: deadline) else {
            return XCTFail()
        }
        guard case .refused = flow.record(paidNotification(amount: "0.01"), deadline: deadline) else {
            return XCTFail()
        }
        XCTAssertEqual(record(1).status, .qrIssued)
        XCTAssertTrue(store.receipts.isEmpty)
    }

    func testADatabaseOutageAsksAlipayToSendAgain() throws {
        _ = try issued(bill())
        store.failures["paid"] = [.unavailable("down")]
        guard case .retryLater = flow.record(paidNotification(), deadline: deadline) else { return XCTFail() }
        XCTAssertEqual(flow.record(paidNotification(), deadline: deadline), .accepted, "the resend is recorded")
        XCTAssertEqual(store.receipts, [1])
    }

    func testAClosedTradeClosesAPayableRecordAndNeverAPaidOne() throws {
        _ = try issued(bill())
        let closed = TradeNotification(outTradeNo: "TP1", tradeStatus: "TRADE_CLOSED", sellerID: "2088102177840000")
        XCTAssertEqual(flow.record(closed, deadline: deadline), .accepted)
        XCTAssertEqual(record(1).status, .closed)
        _ = try issued(bill("B2"))
        XCTAssertEqual(flow.record(paidNotification("TP2"), deadline: deadline), .accepted)
        XCTAssertEqual(
            flow.record(TradeNotification(outTradeNo: "TP2", tradeStatus: "TRADE_CLOSED", sellerID: "2088102177840000"),
                        deadline: deadline), .accepted)
        XCTAssertEqual(record(2).status, .paid)
    }

    func testWaitingAndNewerStatusesChangeNothing() throws {
        _ = try issued(bill())
        for status in ["WAIT_BUYER_PAY", "SOMETHING_NEW"] {
            XCTAssertEqual(
                flow.record(TradeNotification(outTradeNo: "TP1", tradeStatus: status, sellerID: "2088102177840000"),
                            deadline: deadline), .accepted)
        }
        XCTAssertEqual(record(1).status, .qrIssued)
    }
}
