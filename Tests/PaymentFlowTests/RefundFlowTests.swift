import Alipay
import PaymentFlow
import PaymentModel
import XCTest

final class RefundFlowTests: FlowTestCase {
    /// A bill issued, paid at Alipay and recorded paid.
    func paidBill(_ billnum: String = "B1", amount: String = "10.00", billtype: BillType = .pointOfSale,
                  cardno: String? = nil) throws -> PaymentRecord {
        let record = try issued(bill(billnum, amount: amount, billtype: billtype, cardno: cardno))
        gateway.pay(record.outTradeNo)
        return try flow.refresh(record, source: .query, deadline: deadline).get()
    }

    func refund(_ refundno: String, _ amount: String, billnum: String = "B1", billtype: String = "2")
        -> Result<RefundRecord, FlowFailure>
    {
        flow.refund(RefundRequest(lookup: .bill(billtype: billtype, billnum: billnum), refundno: refundno,
                                  amount: Money(exactly: amount)!), deadline: deadline)
    }

    func testAPartialRefundAndItsRepeat() throws {
        _ = try paidBill()
        let first = try refund("R1", "4.00").get()
        XCTAssertEqual(first.status, .refunded)
        XCTAssertEqual(first.refundedTotal, Money(exactly: "4.00"))
        XCTAssertEqual(record(1).refundedAmount, Money(exactly: "4.00"))
        let calls = gateway.calls
        let again = try refund("R1", "4.00").get()
        XCTAssertEqual(again.refundID, first.refundID)
        XCTAssertEqual(gateway.calls, calls, "a repeat of a finished refund calls nothing")
        XCTAssertEqual(store.refundReceipts, [first.refundID])
    }

    func testTheSameRefundnoWithAnotherAmountIsRefused() throws {
        _ = try paidBill()
        _ = try refund("R1", "4.00").get()
        let calls = gateway.calls
        XCTAssertEqual(try failure(refund("R1", "5.00")).error.code, .refundNumberReused)
        XCTAssertEqual(gateway.calls, calls)
    }

    func testMoreThanWhatIsLeftAndAnUnpaidBillAreRefusedBeforeAlipay() throws {
        _ = try paidBill()
        _ = try refund("R1", "6.00").get()
        _ = try issued(bill("B2"))
        let calls = gateway.calls
        XCTAssertEqual(try failure(refund("R2", "4.01")).error.code, .refundExceedsRemaining)
        XCTAssertEqual(try failure(refund("R3", "1.00", billnum: "B2")).error.code, .notPaid)
        XCTAssertEqual(try failure(refund("R4", "1.00", billnum: "NONE")).error.code, .recordNotFound)
        XCTAssertEqual(gateway.calls, calls)
    }

    func testTheRestRefundedClosesTheTradeAndTheBillShowsRefunded() throws {
        _ = try paidBill()
        _ = try refund("R1", "4.00").get()
        let rest = try refund("R2", "6.00").get()
        XCTAssertEqual(rest.refundedTotal, Money(exactly: "10.00"))
        XCTAssertTrue(record(1).isFullyRefunded)
        XCTAssertEqual(gateway.trades["TP1"]?.state, .closed)
    }

    func testALostAnswerIsPendingAndSendingItAgainSettlesItWithoutASecondRefund() throws {
        _ = try paidBill()
        gateway.loseNextRefundAnswer = .outcomeUnknown(.httpStatus(502), reason: "refund: HTTP 502")
        let lost = try failure(refund("R1", "4.00"))
        XCTAssertEqual(lost.error.code, .gatewayOutcomeUnknown)
        XCTAssertTrue(lost.error.message.contains("HTTP 502") && lost.error.message.contains("pending"),
                      lost.error.message)
        XCTAssertEqual(lost.refund?.status, .pending)
        XCTAssertEqual(record(1).refundedAmount, Money(fen: 0))
        let settled = try refund("R1", "4.00").get()
        XCTAssertEqual(settled.status, .refunded)
        XCTAssertEqual(gateway.calls.filter { $0.hasPrefix("refund ") }.count, 1, "Alipay was asked to refund once")
        XCTAssertEqual(gateway.calls.last, "refundQuery TP1")
        XCTAssertEqual(gateway.trades["TP1"]?.refunded, Money(exactly: "4.00"))
    }

    func testALostAnswerWhoseNotificationWasRecordedFirstIsAnsweredRefunded() throws {
        _ = try paidBill()
        gateway.loseNextRefundAnswer = .outcomeUnknown(.httpStatus(502), reason: "refund: HTTP 502")
        // Alipay's notification of the refund is recorded while its answer is lost on the way.
        gateway.whileLosingRefundAnswer = { [unowned self] outRequestNo in
            let notification = TradeNotification(
                outTradeNo: "TP1", tradeStatus: "TRADE_SUCCESS", tradeNo: "2026TP1", totalAmount: "10.00",
                sellerID: "2088102177840000", outBizNo: outRequestNo, refundFee: "4.00")
            XCTAssertEqual(flow.record(notification, deadline: deadline), .accepted)
        }
        let answer = try refund("R1", "4.00").get()
        XCTAssertEqual(answer.status, .refunded, "the outcome is known: not pending")
        XCTAssertEqual(answer.refundedTotal, Money(exactly: "4.00"))
        XCTAssertEqual(gateway.calls.filter { $0.hasPrefix("refund ") }.count, 1)
        XCTAssertEqual(store.refundReceipts, [answer.refundID])
    }

    func testARefundAlipayNeverReceivedIsSentAgainWithTheSameNumber() throws {
        _ = try paidBill()
        gateway.faults["refund"] = [.outcomeUnknown(.timeout, reason: "refund: timeout")]
        XCTAssertEqual(try failure(refund("R1", "4.00")).refund?.status, .pending)
        let settled = try refund("R1", "4.00").get()
        XCTAssertEqual(settled.status, .refunded)
        XCTAssertEqual(gateway.calls.suffix(2), ["refundQuery TP1", "refund TP1"])
        XCTAssertEqual(gateway.trades["TP1"]?.refunds.keys.sorted(), [settled.outRequestNo])
    }

    func testASignedRefusalIsFinalForTheRefundno() throws {
        _ = try paidBill()
        gateway.faults["refund"] = [ScriptedGateway.refusal("ACQ.SELLER_BALANCE_NOT_ENOUGH")]
        let refused = try failure(refund("R1", "4.00"))
        XCTAssertEqual(refused.error.code, .gatewayRefused)
        XCTAssertEqual(refused.refund?.status, .failed)
        let calls = gateway.calls
        XCTAssertEqual(try failure(refund("R1", "4.00")).error.message, refused.error.message, "the same answer")
        XCTAssertEqual(gateway.calls, calls)
        XCTAssertEqual(try refund("R2", "4.00").get().status, .refunded, "a new refundno is a new refund")
    }

    func testACopyArrivingWhileTheFirstIsAtAlipayWaitsForIt() throws {
        _ = try paidBill()
        gateway.faults["refund"] = [.outcomeUnknown(.timeout, reason: "t")]
        _ = refund("R1", "4.00")
        // The copy finds the refund pending with no one working on it: it settles it itself.
        let pending = store.refunds[0]
        XCTAssertEqual(pending.status, .pending)
        _ = try store.beginRefund(RefundRequest(lookup: .autoid(1), refundno: "R1", amount: pending.amount),
                                  leaseMilliseconds: 60_000, deadline: deadline)
        flow = PaymentFlow(store: store, gateway: gateway, settings: PaymentFlow.Settings(
            qrValiditySeconds: 900, qrTimeoutExpress: "15m", defaultClientIP: "202.96.128.68",
            recordingReserveMilliseconds: 59_950))
        XCTAssertEqual(try failure(refund("R1", "4.00")).error.code, .billBusy, "another request holds it")
    }

    /// The lease a request took is its own: the same HTTP request (nginx's id) beginning again — its first Begin's
    /// answer lost, or nginx passing it on to another responder — carries on under it instead of waiting it out.
    func testTheSameRequestCarriesOnUnderTheLeaseItTook() throws {
        _ = try paidBill()
        let requestID = "0123456789abcdef0123456789abcdef"
        let request = RefundRequest(lookup: .bill(billtype: "2", billnum: "B1"), refundno: "R1",
                                    amount: Money(exactly: "4.00")!)
        var first = request
        first.leaseToken = BillLease.forRequest(requestID, until: deadline).token
        guard case .callAlipay = try store.beginRefund(first, leaseMilliseconds: 60_000, deadline: deadline) else {
            return XCTFail("a new refund")
        }
        // Another request waits (here for the 50 ms its Alipay time leaves) and is answered busy.
        let hurried = PaymentFlow(store: store, gateway: gateway, settings: PaymentFlow.Settings(
            qrValiditySeconds: 900, qrTimeoutExpress: "15m", defaultClientIP: "202.96.128.68",
            recordingReserveMilliseconds: 59_950))
        XCTAssertEqual(try failure(hurried.refund(request, requestID: "fedcba9876543210fedcba9876543210",
                                                  deadline: deadline)).error.code, .billBusy, "another request waits")
        let carried = try flow.refund(request, requestID: requestID, deadline: deadline).get()
        XCTAssertEqual(carried.status, .refunded)
        XCTAssertEqual(gateway.calls.suffix(2), ["refundQuery TP1", "refund TP1"], "asked first: never refunded twice")
        XCTAssertEqual(store.refunds.count, 1)
    }

    func testAStoredValueRechargeRefundDebitsTheCardOnceAndNotBelowZero() throws {
        _ = try paidBill("C1", amount: "50.00", billtype: .storedValueCardRecharge, cardno: "CARD")
        XCTAssertEqual(store.cards["CARD"], Money(exactly: "50.00"))
        store.cards["CARD"] = Money(exactly: "30.00")  // 20.00 spent since
        XCTAssertEqual(try failure(refund("R1", "40.00", billnum: "C1", billtype: "7")).error.code, .cardBalanceTooLow)
        XCTAssertEqual(store.cards["CARD"], Money(exactly: "30.00"))
        XCTAssertEqual(try refund("R2", "30.00", billnum: "C1", billtype: "7").get().status, .refunded)
        XCTAssertEqual(store.cards["CARD"], Money(fen: 0))
        _ = try refund("R2", "30.00", billnum: "C1", billtype: "7").get()
        XCTAssertEqual(store.cards["CARD"], Money(fen: 0), "debited once")
    }

    func testARefusedRechargeRefundGivesTheDebitBack() throws {
        _ = try paidBill("C1", amount: "50.00", billtype: .storedValueCardRecharge, cardno: "CARD")
        gateway.faults["refund"] = [ScriptedGateway.refusal("ACQ.TRADE_NOT_ALLOW_REFUND")]
        _ = refund("R1", "20.00", billnum: "C1", billtype: "7")
        XCTAssertEqual(store.cards["CARD"], Money(exactly: "50.00"))
    }

    func testRefundNotificationsRecordTheRefundOnceAndNeverASecondPayment() throws {
        _ = try paidBill()
        let mine = try refund("R1", "4.00").get()
        let partial = TradeNotification(
            outTradeNo: "TP1", tradeStatus: "TRADE_SUCCESS", tradeNo: "2026TP1", totalAmount: "10.00",
            gmtPayment: "2026-06-01 12:00:00", sellerID: "2088102177840000", outBizNo: mine.outRequestNo,
            refundFee: "4.00", gmtRefund: "2026-06-01 12:30:00")
        XCTAssertEqual(flow.record(partial, deadline: deadline), .accepted)
        XCTAssertEqual(store.refundReceipts, [mine.refundID], "ours, already recorded")
        XCTAssertFalse(gateway.calls.contains("refundQuery TP1"), "a refund of ours needs no refund query")
        // The merchant refunds the rest in Alipay's portal; the trade closes.
        gateway.portalRefund("TP1", "PORTAL1", "6.00")
        var full = partial
        full.tradeStatus = "TRADE_CLOSED"
        full.outBizNo = "PORTAL1"
        full.refundFee = "10.00"
        XCTAssertEqual(flow.record(full, deadline: deadline), .accepted)
        XCTAssertEqual(flow.record(full, deadline: deadline), .accepted)
        XCTAssertEqual(store.refunds.map(\.amount), [Money(exactly: "4.00"), Money(exactly: "6.00")])
        XCTAssertEqual(store.receipts, [1], "one payment receipt")
        XCTAssertEqual(record(1).status, .paid)
        XCTAssertTrue(record(1).isFullyRefunded)
    }

    func testARefundNotificationBeforeThePaymentRecordsBothInOrder() throws {
        let issued = try issued(bill(amount: "10.00"))
        gateway.pay(issued.outTradeNo)
        gateway.portalRefund(issued.outTradeNo, "PORTAL1", "10.00")
        let notification = TradeNotification(
            outTradeNo: "TP1", tradeStatus: "TRADE_CLOSED", tradeNo: "2026TP1", totalAmount: "10.00",
            gmtPayment: "2026-06-01 12:00:00", sellerID: "2088102177840000", outBizNo: "PORTAL1", refundFee: "10.00")
        XCTAssertEqual(flow.record(notification, deadline: deadline), .accepted)
        XCTAssertEqual(record(1).status, .paid, "never closed: the money arrived")
        XCTAssertTrue(record(1).isFullyRefunded)
        XCTAssertEqual(store.receipts, [1])
    }

    /// A refund notification's refund_fee is the trade's running total; the refund's own amount is what Alipay's
    /// refund query answers for its out_biz_no, so a portal refund made while one of ours is unrecorded is exact.
    func testARefundMadeElsewhereIsRecordedWithTheAmountAlipaysRefundQueryGives() throws {
        _ = try paidBill()
        gateway.loseNextRefundAnswer = .invalidSignature
        XCTAssertEqual(try failure(refund("R1", "4.00")).error.code, .gatewaySignatureInvalid)
        XCTAssertEqual(store.refunds[0].status, .pending, "at Alipay, not recorded here")
        gateway.portalRefund("TP1", "PORTAL1", "1.50")
        let portal = TradeNotification(
            outTradeNo: "TP1", tradeStatus: "TRADE_SUCCESS", tradeNo: "2026TP1", totalAmount: "10.00",
            gmtPayment: "2026-06-01 12:00:00", sellerID: "2088102177840000", outBizNo: "PORTAL1",
            refundFee: "5.50", gmtRefund: "2026-06-01 12:40:00")

        gateway.faults["refundQuery"] = [.outcomeUnknown(.timeout, reason: "no answer")]
        guard case .retryLater = flow.record(portal, deadline: deadline) else {
            return XCTFail("an unconfirmed refund is left for Alipay's next copy")
        }
        XCTAssertEqual(store.refunds.count, 1, "nothing recorded meanwhile")
        XCTAssertEqual(flow.record(portal, deadline: deadline), .accepted)
        XCTAssertEqual(store.refunds.map(\.amount), [Money(exactly: "4.00"), Money(exactly: "1.50")])
        XCTAssertEqual(gateway.calls.last, "refundQuery TP1")

        _ = try flow.sweep(limit: 10, deadline: deadline)
        XCTAssertEqual(store.refunds.map(\.status), [.refunded, .refunded])
        XCTAssertEqual(record(1).refundedAmount, Money(exactly: "5.50"), "Alipay's total, each refund once")

        var unknown = portal
        unknown.outBizNo = "PORTAL-NOT-AT-ALIPAY"
        guard case .retryLater = flow.record(unknown, deadline: deadline) else {
            return XCTFail("a refund the refund query does not confirm is not recorded")
        }
        XCTAssertEqual(store.refunds.count, 2)
    }

    func testTheSweepSettlesPendingRefunds() throws {
        _ = try paidBill()
        gateway.loseNextRefundAnswer = .invalidSignature
        XCTAssertEqual(try failure(refund("R1", "4.00")).error.code, .gatewaySignatureInvalid)
        let report = try flow.sweep(limit: 10, deadline: deadline)
        XCTAssertEqual(report.refunded, 1)
        XCTAssertEqual(store.refunds[0].status, .refunded)
    }
}
