import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_Refund_Reported: refunds Alipay reports (a refund notification, or a cancel that refunded) are
/// recorded once — the refund ThreePay asked for, or a new one for a refund made elsewhere — and never more than
/// was paid.
final class RefundExternalTests: RefundStoreTestCase {
    func testANotifiedRefundThreePayAskedForIsThatRefundRecordedOnce() throws {
        let paid = try Receipts.pay(store, billtype: "5", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "4.00")
        let first = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                      outRequestNo: refund.outRequestNo, amount: "4.00"))
        XCTAssertEqual(try first.int64("changed"), 1)
        XCTAssertEqual(try first.int64("refund_id"), refund.refundID)
        XCTAssertEqual(try first.string("status"), "REFUNDED")
        XCTAssertEqual(try first.string("refundno"), "R1", "the merchant's number stays")
        XCTAssertEqual(try first.string("source"), "request")
        XCTAssertEqual(try first.string("refunded_total_after"), "4.00")
        XCTAssertNil(try first.string("lease_until"))

        let again = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                      outRequestNo: refund.outRequestNo, amount: "4.00"))
        XCTAssertEqual(try again.int64("changed"), 0)
        XCTAssertEqual(try again.int64("refund_id"), refund.refundID)
        XCTAssertEqual(try Refunds.refundedRaw(connection, refund.refundID).int64("changed"), 0,
                       "the refund's own answer arriving after the notification records nothing more")
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), ["R1 REFUNDED 4.00"])
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, refund.refundID])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "4.00")
    }

    func testARefundMadeElsewhereIsRecordedAsANewRefundOfItsOwnAmount() throws {
        let paid = try Receipts.pay(store, billtype: "1", amount: "10.00")
        let own = try store.refund(paid, "R1", "3.00")
        // A portal refund of 2.00, as Alipay's refund query of its out_request_no answers it.
        let portal = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                       outRequestNo: "PR20260101123456789012", amount: "2.00"))
        XCTAssertEqual(try portal.int64("changed"), 1)
        let portalID = try XCTUnwrap(portal.int64("refund_id"))
        XCTAssertNotEqual(portalID, own.refundID)
        XCTAssertEqual(try portal.string("amount"), "2.00")
        XCTAssertEqual(try portal.string("refundno"), "PR20260101123456789012")
        XCTAssertEqual(try portal.string("out_request_no"), "PR20260101123456789012")
        XCTAssertEqual(try portal.string("source"), "notify")
        XCTAssertEqual(try portal.string("status"), "REFUNDED")
        XCTAssertEqual(try portal.string("refunded_total_after"), "5.00")
        XCTAssertEqual(try Refunds.receipt(connection, billtype: "1", refundID: portalID)?.string("amount"), "2.00")

        // The same notification again records nothing, whatever amount it comes with.
        let repeated = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                         outRequestNo: "PR20260101123456789012", amount: "2.00"))
        XCTAssertEqual(try repeated.int64("changed"), 0)
        XCTAssertEqual(try repeated.int64("refund_id"), portalID)

        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid),
                       ["R1 REFUNDED 3.00", "PR20260101123456789012 REFUNDED 2.00"])
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, own.refundID, portalID])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "5.00")
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["1"], 1, "never a second payment receipt")
    }

    /// The case a running total got wrong: a refund made elsewhere while one of ThreePay's own refunds had reached
    /// Alipay but was not recorded yet, and notifications arriving after a later refund was recorded.
    func testRefundsMadeElsewhereStayExactBesideUnrecordedAndLaterOwnRefunds() throws {
        let paid = try Receipts.pay(store, billtype: "3", amount: "10.00")
        let own = try store.startRefund(paid, "R1", "3.00")  // at Alipay, its answer lost: REQUESTED here
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "PR20260105000000000001",
                                                              amount: "2.00"))
        XCTAssertEqual(portal.amount, Money(exactly: "2.00"), "not Alipay's total 5.00 less the recorded 0.00")
        XCTAssertEqual(try store.recordRefunded(own.refundID).status, .refunded)
        let later = try store.refund(paid, "R2", "1.00")
        XCTAssertEqual(later.status, .refunded)
        let second = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "PR20260105000000000002",
                                                              amount: "4.00"))
        XCTAssertEqual(second.amount, Money(exactly: "4.00"))
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), [
            "R1 REFUNDED 3.00", "PR20260105000000000001 REFUNDED 2.00", "R2 REFUNDED 1.00",
            "PR20260105000000000002 REFUNDED 4.00",
        ])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "10.00")
        XCTAssertTrue(try XCTUnwrap(store.find(autoid: paid.autoid)).isFullyRefunded)
    }

    /// Without an amount a notified refund is recorded only when ThreePay knows its out_request_no: the service
    /// asks Alipay's refund query only for the others.
    func testANotifiedRefundWithoutAnAmountIsRecordedOnlyWhenItIsKnown() throws {
        let paid = try Receipts.pay(store, billtype: "4", amount: "10.00")
        XCTAssertNil(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                             outRequestNo: "PR20260106000000000001", amount: nil))
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "nothing written")
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "0.00")

        let own = try store.startRefund(paid, "R1", "2.00")
        let known = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                      outRequestNo: own.outRequestNo, amount: nil))
        XCTAssertEqual(try known.int64("changed"), 1)
        XCTAssertEqual(try known.int64("refund_id"), own.refundID)
        XCTAssertEqual(try known.string("status"), "REFUNDED")
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "2.00")
    }

    /// The earlier version's procedure took Alipay's running total in the same place: it is dropped, so that a
    /// service of that version fails to record instead of recording a total as an amount.
    func testTheEarlierProcedureThatTookARunningTotalIsGone() throws {
        let found = try connection.execute(
            "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
                + "AND ROUTINE_NAME IN ('Sp_3Pay_Offline_Refund_External', 'Sp_3Pay_Offline_Refund_Reported')")
        XCTAssertEqual(try found.first?.rows.map { try $0.string("ROUTINE_NAME") }, ["Sp_3Pay_Offline_Refund_Reported"])
    }

    func testALongOutRequestNoGivesARefundnoOfItsFirst32Characters() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let number = String(repeating: "7", count: 40) + "X"
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: number, amount: "1.00"))
        XCTAssertEqual(portal.refundno, String(number.prefix(32)))
        XCTAssertEqual(portal.outRequestNo, number)
    }

    func testACancelThatRefundedRecordsTheRestOfThePayment() throws {
        let paid = try Receipts.pay(store, billtype: "6", amount: "10.00")
        _ = try store.refund(paid, "R1", "2.50")
        let cancel = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: paid.outTradeNo, amount: nil,
                                                              source: .cancel))
        XCTAssertEqual(cancel.amount, Money(exactly: "7.50"))
        XCTAssertEqual(try Refunds.row(connection, refundID: cancel.refundID)?.string("source"), "cancel")
        XCTAssertEqual(cancel.refundedTotalAfter, Money(exactly: "10.00"))
        XCTAssertTrue(try XCTUnwrap(store.find(autoid: paid.autoid)).isFullyRefunded)
        XCTAssertEqual(try store.recordExternalRefund(paid, outRequestNo: paid.outTradeNo, amount: nil,
                                                      source: .cancel)?.refundID, cancel.refundID)
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 2)
    }

    func testRefusals() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR1", amount: "10.01"),
                       50009, "would refund more than was paid")
        for amount in ["0", "-1.00", "1.001", "100000000.01"] {
            XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR1",
                                                   amount: amount),
                           50002, "amount must be 0.01 to 100000000.00 with at most 2 decimal places")
        }
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "", amount: "1.00"),
                       50002, "out_request_no must be 1-64 characters")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                               outRequestNo: String(repeating: "1", count: 65), amount: "1.00"),
                       50002, "out_request_no must be 1-64 characters")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR1", amount: "1.00",
                                               source: "request"),
                       50002, "source must be notify or cancel")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "refusals write nothing")

        XCTAssertStoreError(try store.recordExternalRefund(
            outTradeNo: "TP-NOT-OURS", outRequestNo: "PR1", amount: Money(exactly: "1.00"), refundedAt: nil,
            source: .notify, deadline: .after(milliseconds: 60_000)), .notFound)
        let issued = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        XCTAssertRefused(try store.recordExternalRefund(issued, outRequestNo: "PR1", amount: "1.00"), .notPaid)
        XCTAssertEqual(try Refunds.rows(connection, autoid: issued.autoid).count, 0)
    }

    func testAPortalNumberThatIsAlsoAMerchantsRefundnoIsStillRecorded() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        _ = try store.refund(paid, "1", "3.00")
        // The merchant's refundno "1" went to Alipay as RF…; the portal happens to number its refund "1" too.
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "1", amount: "2.00"))
        XCTAssertEqual(portal.status, .refunded)
        XCTAssertEqual(portal.amount, Money(exactly: "2.00"))
        XCTAssertEqual(portal.outRequestNo, "1")
        XCTAssertTrue(portal.refundno.hasPrefix("AP") && portal.refundno.count > 2, portal.refundno)
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "5.00")
        XCTAssertEqual(try store.recordExternalRefund(paid, outRequestNo: "1", amount: "2.00")?.refundID, portal.refundID)
        // The merchant's refund "1" is still the merchant's.
        let mine = try store.beginRefund(paid, "1", "3.00")
        XCTAssertEqual(mine.kind, "done")
        XCTAssertNotEqual(mine.refund.refundID, portal.refundID)
        XCTAssertEqual(try Refunds.row(connection, refundID: mine.refund.refundID)?.string("source"), "request")
    }

    /// A refund Alipay reported keeps Alipay's number as its refundno. A request that names that number, with its
    /// amount or another, is refused as a refundno already taken, never answered with a refund it did not make.
    func testARequestNamingARefundAlipayReportedIsRefused() throws {
        let paid = try Receipts.pay(store, billtype: "6", amount: "10.00")
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "PR20260107000000000001",
                                                              amount: "3.00"))
        XCTAssertEqual(portal.refundno, "PR20260107000000000001")
        XCTAssertRefused(try store.beginRefund(paid, "PR20260107000000000001", "3.00"), .amountMismatch)
        XCTAssertErrno(try Refunds.beginRaw(connection, autoid: paid.autoid, refundno: "PR20260107000000000001",
                                            amount: "1.00"),
                       50008, "is a refund Alipay reported (notify), not one asked for through ThreePay")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 1, "nothing written")
        XCTAssertEqual(try store.beginRefund(paid, "R1", "3.00").kind, "call", "a refundno of its own is fine")
    }
}
