import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Refunds of stored-value recharges (billtype 7): the card is debited once per refund — when the refund is
/// requested, given back when Alipay refuses it, taken again if it is refunded after all — and a card whose money
/// has been spent is refused before Alipay is called.
final class RefundCardTests: RefundStoreTestCase {
    private func recharge(_ amount: String, cardno: String = Receipts.uniqueCardno()) throws -> PaymentRecord {
        try Receipts.pay(store, billtype: "7", amount: amount, cardno: cardno)
    }

    private func balance(_ record: PaymentRecord) throws -> String? {
        try Receipts.balance(connection, cardno: XCTUnwrap(record.cardno))
    }

    func testTheCardIsDebitedWhenTheRefundIsRequestedAndOnlyThen() throws {
        let paid = try recharge("50.00")
        XCTAssertEqual(try balance(paid), "50.00")
        let refund = try store.startRefund(paid, "R1", "20.00")
        XCTAssertEqual(try balance(paid), "30.00", "money that may be refunded cannot be spent meanwhile")
        let debit = try XCTUnwrap(Refunds.debit(connection, refundID: refund.refundID))
        XCTAssertEqual(try debit.string("cardno"), paid.cardno)
        XCTAssertEqual(try debit.string("amount"), "20.00")
        XCTAssertEqual(try debit.string("balance_after"), "30.00")
        XCTAssertNil(try debit.string("reversed_at"))

        // Copies, the outcome and its repeats do not debit again.
        XCTAssertEqual(try store.beginRefund(paid, "R1", "20.00").kind, "busy")
        try store.recordRefundPending(refund.refundID)
        XCTAssertEqual(try store.beginRefund(paid, "R1", "20.00").kind, "query")
        try store.recordRefunded(refund.refundID)
        try store.recordRefunded(refund.refundID)
        XCTAssertEqual(try balance(paid), "30.00")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: XCTUnwrap(paid.cardno)), 1)
        XCTAssertEqual(try Refunds.debit(connection, refundID: refund.refundID), debit)
        let receipt = try XCTUnwrap(Refunds.receipt(connection, billtype: "7", refundID: refund.refundID))
        XCTAssertEqual(try receipt.string("cardno"), paid.cardno)
        XCTAssertEqual(try receipt.string("amount"), "20.00")
    }

    func testARefusedRefundGivesTheDebitBackAndALaterRefundTakesItAgain() throws {
        let paid = try recharge("50.00")
        let refund = try store.startRefund(paid, "R1", "20.00")
        XCTAssertEqual(try balance(paid), "30.00")
        try store.recordRefundFailed(refund.refundID)
        XCTAssertEqual(try balance(paid), "50.00", "given back")
        XCTAssertNotNil(try Refunds.debit(connection, refundID: refund.refundID)?.date("reversed_at"))
        try store.recordRefundFailed(refund.refundID)
        XCTAssertEqual(try store.beginRefund(paid, "R1", "20.00").kind, "done")
        XCTAssertEqual(try balance(paid), "50.00", "given back once")

        // Alipay reports the refund after all (a late notification or query): the money has left the buyer's
        // card account, so it is taken from the card again — once.
        try store.recordRefunded(refund.refundID)
        XCTAssertEqual(try balance(paid), "30.00")
        let debit = try XCTUnwrap(Refunds.debit(connection, refundID: refund.refundID))
        XCTAssertNil(try debit.string("reversed_at"))
        XCTAssertEqual(try debit.string("balance_after"), "30.00")
        try store.recordRefunded(refund.refundID)
        XCTAssertEqual(try balance(paid), "30.00")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: XCTUnwrap(paid.cardno)), 1)
    }

    func testACardWhoseMoneyWasSpentIsRefusedBeforeAlipayIsCalled() throws {
        let paid = try recharge("50.00")
        let cardno = try XCTUnwrap(paid.cardno)
        try Refunds.setBalance(connection, cardno: cardno, "5.00")
        XCTAssertRefused(try store.beginRefund(paid, "R1", "5.01"), .cardBalanceTooLow)
        XCTAssertErrno(try Refunds.beginRaw(connection, autoid: paid.autoid, refundno: "R1", amount: "5.01"), 50010,
                       "holds 5.00, less than the refund")
        XCTAssertEqual(try balance(paid), "5.00")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "nothing written")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: cardno), 0)

        // What the card still holds can be refunded.
        let refund = try store.refund(paid, "R1", "5.00")
        XCTAssertEqual(refund.status, .refunded)
        XCTAssertEqual(try balance(paid), "0.00")
        XCTAssertRefused(try store.beginRefund(paid, "R2", "0.01"), .cardBalanceTooLow)
    }

    func testTheCardLimitIsTheBalanceNotThisRechargeAlone() throws {
        let cardno = Receipts.uniqueCardno()
        let first = try recharge("10.00", cardno: cardno)
        let second = try recharge("10.00", cardno: cardno)
        try Refunds.setBalance(connection, cardno: cardno, "15.00")
        _ = try store.startRefund(first, "R1", "10.00")
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "5.00")
        XCTAssertRefused(try store.beginRefund(second, "R1", "10.00"), .cardBalanceTooLow)
        XCTAssertEqual(try store.beginRefund(second, "R1", "5.00").kind, "call")
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "0.00")
    }

    func testARefundAlipayReportsIsDebitedEvenBelowZero() throws {
        let paid = try recharge("50.00")
        let cardno = try XCTUnwrap(paid.cardno)
        try Refunds.setBalance(connection, cardno: cardno, "10.00")

        // A refund made in Alipay's merchant portal: the money has left, whatever the card holds.
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "PR20260101000000000001", amount: "30.00"))
        XCTAssertEqual(portal.status, .refunded)
        XCTAssertEqual(portal.amount, Money(exactly: "30.00"))
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "-20.00")
        let debit = try XCTUnwrap(Refunds.debit(connection, refundID: portal.refundID))
        XCTAssertEqual(try debit.string("amount"), "30.00")
        XCTAssertEqual(try debit.string("balance_after"), "-20.00")
        XCTAssertEqual(try Refunds.receipt(connection, billtype: "7", refundID: portal.refundID)?.string("cardno"), cardno)

        _ = try store.recordExternalRefund(paid, outRequestNo: "PR20260101000000000001", amount: "30.00")
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "-20.00", "a repeated notification debits nothing")

        // A cancel that refunded the rest (no total given).
        let rest = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: paid.outTradeNo, amount: nil,
                                                            source: .cancel))
        XCTAssertEqual(rest.amount, Money(exactly: "20.00"))
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "-40.00")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: cardno), 2)
        XCTAssertRefused(try store.beginRefund(paid, "R9", "0.01"), .exceedsRemaining)
    }

    func testConcurrentRefundsOfOneCardNeverTakeMoreThanItHolds() throws {
        let cardno = Receipts.uniqueCardno()
        // Ten recharges of 1.00: the card holds 10.00, and ten refunds of 1.00 all fit, one after the other.
        let recharges = try (0..<10).map { _ in try recharge("1.00", cardno: cardno) }
        // Two recharges of 10.00 onto a card that holds 15.00: only one of their full refunds fits.
        let spentCard = Receipts.uniqueCardno()
        let big = try (0..<2).map { _ in try recharge("10.00", cardno: spentCard) }
        try Refunds.setBalance(connection, cardno: spentCard, "15.00")

        let results = RefundOutcomes()
        let jobs: [@Sendable (Int, PaymentRecords) throws -> Void] = (recharges + big).map { record in
            let autoid = record.autoid
            let amount = record.paymentvalue.description
            return { _, store in results.record(autoid, RefundOutcomes.attempt { try store.beginRefund(.autoid(autoid), "R1", amount) }) }
        }
        XCTAssertEqual(ConcurrentWorkers.run(settings: try TestDatabase.settings(), jobs), [])

        for record in recharges {
            XCTAssertEqual(results.kinds(record.autoid), ["call"])
        }
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "0.00")
        let after = try connection.execute(
            "SELECT balance_after FROM T_3Pay_StoredValueCard_Debit WHERE cardno = ? ORDER BY debit_id",
            [.string(cardno)]).first?.rows.map { try $0.requiredString("balance_after") }
        XCTAssertEqual(after, ["9.00", "8.00", "7.00", "6.00", "5.00", "4.00", "3.00", "2.00", "1.00", "0.00"],
                       "each debit saw the one before it")

        XCTAssertEqual((results.kinds(big[0].autoid) + results.kinds(big[1].autoid)).sorted(), ["call", "cardBalanceTooLow"])
        XCTAssertEqual(try Receipts.balance(connection, cardno: spentCard), "5.00")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: spentCard), 1)
    }
}
