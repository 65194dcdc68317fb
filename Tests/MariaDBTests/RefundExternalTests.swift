import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_Refund_External: refunds Alipay reports (a refund notification, or a cancel that refunded) are
/// recorded once — the refund ThreePay asked for, or a new one for a refund made elsewhere — and never more than
/// was paid.
final class RefundExternalTests: RefundStoreTestCase {
    func testANotifiedRefundThreePayAskedForIsThatRefundRecordedOnce() throws {
        let paid = try Receipts.pay(store, billtype: "5", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "4.00")
        let first = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                      outRequestNo: refund.outRequestNo, total: "4.00"))
        XCTAssertEqual(try first.int64("changed"), 1)
        XCTAssertEqual(try first.int64("refund_id"), refund.refundID)
        XCTAssertEqual(try first.string("status"), "REFUNDED")
        XCTAssertEqual(try first.string("refundno"), "R1", "the merchant's number stays")
        XCTAssertEqual(try first.string("source"), "request")
        XCTAssertEqual(try first.string("refunded_total_after"), "4.00")
        XCTAssertNil(try first.string("lease_until"))

        let again = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                      outRequestNo: refund.outRequestNo, total: "4.00"))
        XCTAssertEqual(try again.int64("changed"), 0)
        XCTAssertEqual(try again.int64("refund_id"), refund.refundID)
        XCTAssertEqual(try Refunds.refundedRaw(connection, refund.refundID).int64("changed"), 0,
                       "the refund's own answer arriving after the notification records nothing more")
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), ["R1 REFUNDED 4.00"])
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, refund.refundID])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "4.00")
    }

    func testARefundMadeElsewhereIsRecordedAsANewRefundOfTheDifference() throws {
        let paid = try Receipts.pay(store, billtype: "1", amount: "10.00")
        let own = try store.refund(paid, "R1", "3.00")
        // Alipay's refund_fee is the trade's total refunded: 5.00 after a portal refund of 2.00.
        let portal = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                       outRequestNo: "PR20260101123456789012", total: "5.00"))
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

        // The same notification again, and one that reports nothing new, record nothing.
        let repeated = try XCTUnwrap(Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                                         outRequestNo: "PR20260101123456789012", total: "5.00"))
        XCTAssertEqual(try repeated.int64("changed"), 0)
        XCTAssertEqual(try repeated.int64("refund_id"), portalID)
        XCTAssertNil(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR-NOTHING-NEW",
                                             total: "5.00"))
        XCTAssertNil(try store.recordExternalRefund(paid, outRequestNo: "PR-NOTHING-NEW", total: "4.00"),
                     "an older total than what is recorded is nothing new either")

        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid),
                       ["R1 REFUNDED 3.00", "PR20260101123456789012 REFUNDED 2.00"])
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, own.refundID, portalID])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "5.00")
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["1"], 1, "never a second payment receipt")
    }

    func testALongOutRequestNoGivesARefundnoOfItsFirst32Characters() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let number = String(repeating: "7", count: 40) + "X"
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: number, total: "1.00"))
        XCTAssertEqual(portal.refundno, String(number.prefix(32)))
        XCTAssertEqual(portal.outRequestNo, number)
    }

    func testACancelThatRefundedRecordsTheRestOfThePayment() throws {
        let paid = try Receipts.pay(store, billtype: "6", amount: "10.00")
        _ = try store.refund(paid, "R1", "2.50")
        let cancel = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: paid.outTradeNo, total: nil,
                                                              source: .cancel))
        XCTAssertEqual(cancel.amount, Money(exactly: "7.50"))
        XCTAssertEqual(try Refunds.row(connection, refundID: cancel.refundID)?.string("source"), "cancel")
        XCTAssertEqual(cancel.refundedTotalAfter, Money(exactly: "10.00"))
        XCTAssertTrue(try XCTUnwrap(store.find(autoid: paid.autoid)).isFullyRefunded)
        XCTAssertEqual(try store.recordExternalRefund(paid, outRequestNo: paid.outTradeNo, total: nil,
                                                      source: .cancel)?.refundID, cancel.refundID)
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 2)
    }

    func testRefusals() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR1", total: "10.01"),
                       50009, "would refund more than was paid")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "", total: "1.00"),
                       50002, "out_request_no must be 1-64 characters")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo,
                                               outRequestNo: String(repeating: "1", count: 65), total: "1.00"),
                       50002, "out_request_no must be 1-64 characters")
        XCTAssertErrno(try Refunds.externalRaw(connection, outTradeNo: paid.outTradeNo, outRequestNo: "PR1", total: "1.00",
                                               source: "request"),
                       50002, "source must be notify or cancel")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "refusals write nothing")

        XCTAssertStoreError(try store.recordExternalRefund(
            outTradeNo: "TP-NOT-OURS", outRequestNo: "PR1", refundTotal: Money(exactly: "1.00"), refundedAt: nil,
            source: .notify, deadline: .after(milliseconds: 60_000)), .notFound)
        let issued = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        XCTAssertRefused(try store.recordExternalRefund(issued, outRequestNo: "PR1", total: "1.00"), .notPaid)
        XCTAssertEqual(try Refunds.rows(connection, autoid: issued.autoid).count, 0)
    }

    func testAPortalNumberThatIsAlsoAMerchantsRefundnoIsStillRecorded() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        _ = try store.refund(paid, "1", "3.00")
        // The merchant's refundno "1" went to Alipay as RF…; the portal happens to number its refund "1" too.
        let portal = try XCTUnwrap(store.recordExternalRefund(paid, outRequestNo: "1", total: "5.00"))
        XCTAssertEqual(portal.status, .refunded)
        XCTAssertEqual(portal.amount, Money(exactly: "2.00"))
        XCTAssertEqual(portal.outRequestNo, "1")
        XCTAssertTrue(portal.refundno.hasPrefix("AP") && portal.refundno.count > 2, portal.refundno)
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "5.00")
        XCTAssertEqual(try store.recordExternalRefund(paid, outRequestNo: "1", total: "5.00")?.refundID, portal.refundID)
        // The merchant's refund "1" is still the merchant's.
        let mine = try store.beginRefund(paid, "1", "3.00")
        XCTAssertEqual(mine.kind, "done")
        XCTAssertNotEqual(mine.refund.refundID, portal.refundID)
        XCTAssertEqual(try Refunds.row(connection, refundID: mine.refund.refundID)?.string("source"), "request")
    }
}
