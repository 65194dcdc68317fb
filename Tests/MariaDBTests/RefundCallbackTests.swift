import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// The outbox after refunds (sql/020_receipts.sql, 030_callbacks.sql): one callback per event of a payment — the
/// payment and each refund — and Claim hands a refund's callback out with the refund's fields. Each test in a
/// database of its own, since Claim takes callbacks from the whole outbox.
final class RefundCallbackTests: IsolatedDatabaseTestCase {
    func testEachRefundIsCalledBackOnceWithItsNumberAmountTimeAndTotal() throws {
        let paid = try Receipts.pay(store, billtype: "5", amount: "10.00", tradeNo: "CBR1")
        let payment = try XCTUnwrap(store.claimCallbacks(limit: 10, leaseSeconds: 60).first)
        XCTAssertNil(payment.refund, "the payment's own callback")
        try store.callbackDelivered(id: payment.id, httpStatus: 200)

        let refundedAt = Date(timeIntervalSince1970: 1_767_323_045.5)
        let own = try store.startRefund(paid, "R1", "3.00")
        try store.recordRefunded(own.refundID, at: refundedAt)
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "PR20260102000000000001", amount: "2.00"))
        // Repeats of both add no callback.
        try store.recordRefunded(own.refundID)
        _ = try store.recordExternalRefund(paid, outRequestNo: "PR20260102000000000001", amount: "2.00")

        let jobs = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        func expected(_ id: Int64, _ refund: RefundEvent) -> CallbackJob {
            CallbackJob(id: id, attempts: 0, autoid: paid.autoid, billtype: "5", billnum: paid.billnum,
                        outTradeNo: paid.outTradeNo, tradeNo: "CBR1", amount: Money(exactly: "10.00")!,
                        paidAt: paid.paidAt, cardno: nil, paytype: "01", refund: refund)
        }
        XCTAssertEqual(jobs.count, 2)
        guard jobs.count == 2 else { return }
        XCTAssertEqual(jobs[0], expected(jobs[0].id, RefundEvent(
            refundID: own.refundID, refundno: "R1", amount: Money(exactly: "3.00")!, refundedAt: refundedAt,
            refundedTotal: Money(exactly: "3.00")!)))
        XCTAssertEqual(jobs[1], expected(jobs[1].id, RefundEvent(
            refundID: portal.refundID, refundno: "PR20260102000000000001", amount: Money(exactly: "2.00")!,
            refundedAt: portal.refundedAt, refundedTotal: Money(exactly: "5.00")!)))
        XCTAssertNotNil(jobs[1].refund?.refundedAt)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60), [], "both leased")

        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID),
                       [0, own.refundID, portal.refundID])
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.status),
                       ["DELIVERED", "PENDING", "PENDING"])
    }

    func testTheRefundCallbackOfACardRechargeCarriesTheCard() throws {
        let cardno = Receipts.uniqueCardno()
        let paid = try Receipts.pay(store, billtype: "7", amount: "20.00", cardno: cardno)
        let refund = try store.refund(paid, "R1", "20.00")
        let jobs = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(jobs.map { $0.refund?.refundID ?? 0 }, [0, refund.refundID])
        XCTAssertEqual(jobs.map(\.cardno), [cardno, cardno])
        XCTAssertEqual(jobs.last?.refund?.refundedTotal, Money(exactly: "20.00"))
    }

    func testThePaymentIsNeverCalledBackTwiceAfterItsRefunds() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00", tradeNo: "CBR2")
        let refund = try store.refund(paid, "R1", "10.00")
        // A payment reported again (a late notification), and Dispatch itself run again.
        XCTAssertFalse(try store.recordPaid(outTradeNo: paid.outTradeNo, tradeNo: "CBR2", totalAmount: paid.paymentvalue,
                                            paidAt: nil, buyerID: nil, source: .notify))
        _ = try connection.execute("START TRANSACTION")
        _ = try connection.call(ProcedureNames.receiptDispatch, [.int(paid.autoid)], idempotent: false)
        _ = try connection.execute("COMMIT")
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, refund.refundID])
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["2"], 1)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60).count, 2)
    }

    func testTheOutboxKeyIsOneCallbackPerEvent() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let refund = try store.refund(paid, "R1", "1.00")
        for refundID in [Int64(0), refund.refundID] {
            XCTAssertThrowsError(try connection.execute(
                "INSERT INTO T_3Pay_Callback_Outbox (autoid, refund_id, billtype) VALUES (?, ?, '2')",
                [.int(paid.autoid), .int(refundID)])) { error in
                guard case .server(let code, _, _) = error as? MariaDBError else { return XCTFail("\(error)") }
                XCTAssertEqual(code, 1062, "duplicate key")
            }
        }
    }
}
