import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_Refund_Begin, _Refunded, _Failed and _Pending: each rule, its errno, and that a repeat
/// changes nothing.
final class RefundProcedureTests: RefundStoreTestCase {
    private func money(_ text: String) -> Money { Money(exactly: text)! }

    /// Moves a refund's lease into the past, as if its caller had stopped without an answer.
    private func expireLease(_ refundID: Int64) throws {
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_Refund SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE refund_id = ?",
            [.int(refundID)])
    }

    func testBeginStartsANewRefundWithAnOutRequestNoOfItsOwnAndWritesNothingElse() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let before = try TestDatabase.now(connection)
        let refund = try store.startRefund(paid, "R1", "4.00")
        XCTAssertEqual(refund.status, .requested)
        XCTAssertEqual(refund.refundno, "R1")
        XCTAssertEqual(refund.outRequestNo, "RF" + String(format: "%010lld", refund.refundID),
                       "RF and the refund's id, at least 10 digits")
        XCTAssertEqual(refund.amount, money("4.00"))
        XCTAssertEqual(refund.autoid, paid.autoid)
        XCTAssertEqual(refund.billtype, "2")
        XCTAssertEqual(refund.billnum, paid.billnum)
        XCTAssertEqual(refund.outTradeNo, paid.outTradeNo)
        XCTAssertEqual(refund.tradeNo, paid.tradeNo)
        XCTAssertEqual(refund.paidAmount, money("10.00"))
        XCTAssertEqual(refund.refundedTotal, money("0.00"), "nothing is refunded before Alipay says so")
        XCTAssertNil(refund.refundedTotalAfter)
        XCTAssertNil(refund.refundedAt)
        XCTAssertNil(refund.reason)

        let row = try XCTUnwrap(Refunds.row(connection, refundID: refund.refundID))
        XCTAssertEqual(try row.string("source"), "request")
        let lease = try XCTUnwrap(row.date("lease_until"))
        XCTAssertGreaterThan(lease, before.addingTimeInterval(59), "the caller's lease: now + 60 s")
        XCTAssertLessThanOrEqual(lease, try TestDatabase.now(connection).addingTimeInterval(60))

        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 0)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0], "the payment's only")
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "0.00")
        XCTAssertEqual(try store.find(autoid: paid.autoid)?.refundedAmount, money("0.00"))

        // The bill's number names the same payment: the same refund, whose lease is held.
        let byBill = try store.beginRefund(.bill(billtype: "2", billnum: paid.billnum), "R1", "4.00")
        XCTAssertEqual(byBill.kind, "busy")
        XCTAssertEqual(byBill.refund.refundID, refund.refundID)
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 1)
    }

    func testTheReasonIsKeptAndAnEmptyReasonIsNone() throws {
        let paid = try Receipts.pay(store, billtype: "1", amount: "10.00")
        let reason = String(repeating: "退", count: 256)
        let given = try store.beginRefund(paid, "R1", "1.00", reason: reason).refund
        XCTAssertEqual(given.reason, reason, "256 characters, counted as characters")
        XCTAssertNil(try store.beginRefund(paid, "R2", "1.00", reason: "").refund.reason)
    }

    func testCopiesWaitWhileTheLeaseIsHeldAndAskAlipayFirstOnceItRanOut() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "4.00")
        XCTAssertEqual(try store.beginRefund(paid, "R1", "4.00").kind, "busy")

        // The caller stopped without an answer: the next copy owns the lease and asks Alipay first.
        try expireLease(refund.refundID)
        let resumed = try store.beginRefund(paid, "R1", "4.00", leaseMilliseconds: 30_000)
        XCTAssertEqual(resumed.kind, "query")
        XCTAssertEqual(resumed.refund.refundID, refund.refundID)
        XCTAssertEqual(resumed.refund.outRequestNo, refund.outRequestNo, "the same out_request_no, never a new one")
        XCTAssertEqual(resumed.refund.status, .requested)
        let lease = try XCTUnwrap(Refunds.row(connection, refundID: refund.refundID)?.date("lease_until"))
        XCTAssertGreaterThan(lease, try TestDatabase.now(connection), "a new lease for the querying copy")
        XCTAssertEqual(try store.beginRefund(paid, "R1", "4.00").kind, "busy")

        // PENDING gives the lease back: the next copy asks.
        let pending = try store.recordRefundPending(refund.refundID, reason: "refund: HTTP 502")
        XCTAssertEqual(pending.status, .pending)
        XCTAssertNil(try Refunds.row(connection, refundID: refund.refundID)?.string("lease_until"))
        XCTAssertEqual(try store.beginRefund(paid, "R1", "4.00").kind, "query")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 1)
    }

    /// A lease is its holder's: Begin called again under the holder's token (the database's answer to the first call
    /// was lost, or nginx passed the request on to another responder) asks Alipay first instead of waiting for the
    /// lease to run out; any other token, or none, still waits; and a lease the sweep takes is no request's.
    func testTheLeaseHoldersOwnTokenIsNotTurnedAway() throws {
        let paid = try Receipts.pay(store, billtype: "4", amount: "10.00")
        let deadline = Deadline.after(milliseconds: 60_000)
        func begin(_ token: String?) throws -> RefundBeginOutcome {
            try store.beginRefund(
                RefundRequest(lookup: .autoid(paid.autoid), refundno: "R1", amount: Money(exactly: "4.00")!,
                              leaseToken: token),
                leaseMilliseconds: 60_000, deadline: deadline)
        }
        guard case .callAlipay(let first) = try begin("req-0123456789abcdef") else {
            return XCTFail("a new refund is called at Alipay")
        }
        guard case .query(let again) = try begin("req-0123456789abcdef") else {
            return XCTFail("the holder's repeat asks Alipay first")
        }
        XCTAssertEqual(again.refundID, first.refundID)
        XCTAssertEqual(again.outRequestNo, first.outRequestNo, "the same out_request_no, never a new one")
        guard case .busy = try begin("req-fedcba9876543210") else { return XCTFail("another request waits") }
        guard case .busy = try begin(nil) else { return XCTFail("a request without a token waits") }
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 1)

        _ = try store.recordRefundPending(refundID: first.refundID, reason: "timeout", deadline: deadline)
        XCTAssertTrue(try store.claimStaleRefunds(limit: 1000, leaseMilliseconds: 60_000, deadline: deadline)
                          .contains { $0.refundID == first.refundID }, "the sweep claims it")
        guard case .busy = try begin("req-0123456789abcdef") else {
            return XCTFail("the sweep's lease is not the earlier holder's")
        }
    }

    func testRefundedWritesTheTotalTheRefundReceiptAndOneCallbackOnce() throws {
        let paid = try Receipts.pay(store, billtype: "3", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "4.00")
        let before = try TestDatabase.now(connection)
        let recorded = try Refunds.refundedRaw(connection, refund.refundID)
        let after = try TestDatabase.now(connection)
        XCTAssertEqual(try recorded.int64("changed"), 1)
        XCTAssertEqual(try recorded.string("status"), "REFUNDED")
        XCTAssertEqual(try recorded.string("refunded_total_after"), "4.00")
        XCTAssertEqual(try recorded.string("refunded_total"), "4.00")
        XCTAssertNil(try recorded.string("lease_until"))
        let refundedAt = try XCTUnwrap(recorded.date("refunded_at"))
        XCTAssertLessThanOrEqual(before, refundedAt)
        XCTAssertLessThanOrEqual(refundedAt, after)

        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "4.00")
        XCTAssertEqual(try store.find(autoid: paid.autoid)?.refundedAmount, money("4.00"))
        XCTAssertEqual(try store.find(autoid: paid.autoid)?.status, .paid, "a refunded payment stays PAID")

        let receipt = try XCTUnwrap(Refunds.receipt(connection, billtype: "3", refundID: refund.refundID))
        XCTAssertEqual(try receipt.int64("autoid"), paid.autoid)
        XCTAssertEqual(try receipt.string("billnum"), paid.billnum)
        XCTAssertEqual(try receipt.string("out_trade_no"), paid.outTradeNo)
        XCTAssertEqual(try receipt.string("trade_no"), paid.tradeNo)
        XCTAssertEqual(try receipt.string("refundno"), "R1")
        XCTAssertEqual(try receipt.string("amount"), "4.00", "positive: what went back to the buyer")
        XCTAssertEqual(try receipt.date("refunded_at"), refundedAt)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, refund.refundID])
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.status), ["PENDING", "PENDING"])
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["3"], 1, "the payment's receipt stays")

        // Repeats record nothing more, and Begin answers with the finished refund.
        XCTAssertEqual(try Refunds.refundedRaw(connection, refund.refundID).int64("changed"), 0)
        XCTAssertEqual(try store.recordRefunded(refund.refundID).refundedTotalAfter, money("4.00"))
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).count, 2)
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "4.00")
        let repeated = try store.beginRefund(paid, "R1", "4.00")
        XCTAssertEqual(repeated.kind, "done")
        XCTAssertEqual(repeated.refund.status, .refunded)
        XCTAssertEqual(repeated.refund.refundID, refund.refundID)
        XCTAssertRefused(try store.beginRefund(paid, "R1", "4.01"), .amountMismatch)

        // The rest, at a time Alipay reported: the payment is fully refunded and nothing is left.
        let second = try store.startRefund(paid, "R2", "6.00")
        let reported = Date(timeIntervalSince1970: 1_767_323_045.678)
        let rest = try store.recordRefunded(second.refundID, at: reported)
        XCTAssertEqual(rest.refundedAt, reported)
        XCTAssertEqual(rest.refundedTotalAfter, money("10.00"))
        XCTAssertEqual(try Refunds.receipt(connection, billtype: "3", refundID: second.refundID)?.date("refunded_at"),
                       reported)
        let record = try XCTUnwrap(store.find(autoid: paid.autoid))
        XCTAssertEqual(record.refundedAmount, money("10.00"))
        XCTAssertTrue(record.isFullyRefunded)
        XCTAssertRefused(try store.beginRefund(paid, "R3", "0.01"), .exceedsRemaining)
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), ["R1 REFUNDED 4.00", "R2 REFUNDED 6.00"])
    }

    func testFailedIsFinalForItsRefundnoAndLeavesItsAmountFree() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "10.00")
        let failed = try store.recordRefundFailed(refund.refundID, code: "40004", subCode: "ACQ.SELLER_BALANCE_NOT_ENOUGH",
                                                  message: "卖家余额不足")
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.gatewayCode, "40004")
        XCTAssertEqual(failed.gatewaySubCode, "ACQ.SELLER_BALANCE_NOT_ENOUGH")
        XCTAssertEqual(failed.gatewayMessage, "卖家余额不足")
        XCTAssertNil(try Refunds.row(connection, refundID: refund.refundID)?.string("lease_until"))

        // Repeats and late reports leave it as it is.
        let again = try store.recordRefundFailed(refund.refundID, code: "20000", subCode: "other", message: "other")
        XCTAssertEqual(again.gatewaySubCode, "ACQ.SELLER_BALANCE_NOT_ENOUGH")
        XCTAssertEqual(try store.recordRefundPending(refund.refundID).status, .failed)
        let done = try store.beginRefund(paid, "R1", "10.00")
        XCTAssertEqual(done.kind, "done")
        XCTAssertEqual(done.refund.status, .failed)
        XCTAssertRefused(try store.beginRefund(paid, "R1", "9.00"), .amountMismatch)

        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 0)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "0.00")
        // A refused refund takes nothing away from what is left.
        XCTAssertEqual(try store.beginRefund(paid, "R2", "10.00").kind, "call")
    }

    func testARefundedRefundCannotBeRecordedFailedAndUnknownRefundsAreNotFound() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let refund = try store.refund(paid, "R1", "4.00")
        XCTAssertConflict(try store.recordRefundFailed(refund.refundID), containing: "Refund R1 is REFUNDED: cannot record failed")
        XCTAssertErrno(try connection.call(ProcedureNames.refundFailed, [.int(refund.refundID), .null, .null, .null],
                                           idempotent: false), 50003, "is REFUNDED")
        XCTAssertEqual(try store.recordRefundPending(refund.refundID).status, .refunded, "a late pending is ignored")
        XCTAssertEqual(try store.findRefund(refund.refundID)?.refundedTotalAfter, money("4.00"))
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)

        XCTAssertStoreError(try store.recordRefundFailed(Int64.max), .notFound)
        XCTAssertStoreError(try store.recordRefundPending(Int64.max), .notFound)
        XCTAssertStoreError(try store.recordRefunded(Int64.max), .notFound)
        XCTAssertNil(try store.findRefund(Int64.max))
    }

    func testPendingHoldsItsAmountUntilAQuerySettlesIt() throws {
        let paid = try Receipts.pay(store, billtype: "4", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "6.00")
        let pending = try store.recordRefundPending(refund.refundID, reason: "refund: HTTP 502")
        XCTAssertEqual(pending.status, .pending)
        XCTAssertEqual(pending.gatewayMessage, "refund: HTTP 502")
        XCTAssertEqual(pending.refundedTotal, money("0.00"))

        // The pending 6.00 may have left already: only 4.00 is left to refund.
        XCTAssertRefused(try store.beginRefund(paid, "R2", "4.01"), .exceedsRemaining)
        let second = try store.startRefund(paid, "R2", "4.00")

        // The same refundno again: a query, and its outcome recorded.
        XCTAssertEqual(try store.beginRefund(paid, "R1", "6.00").kind, "query")
        XCTAssertEqual(try store.recordRefundPending(refund.refundID, reason: "query: timeout").status, .pending)
        let settled = try store.recordRefunded(refund.refundID)
        XCTAssertEqual(settled.status, .refunded)
        XCTAssertEqual(settled.refundedTotalAfter, money("6.00"))
        XCTAssertEqual(try store.recordRefundPending(refund.refundID).status, .refunded, "a late pending is ignored")
        XCTAssertEqual(try store.beginRefund(paid, "R1", "6.00").kind, "done")

        // R2 refused: its 4.00 is free again.
        try store.recordRefundFailed(second.refundID)
        XCTAssertEqual(try store.beginRefund(paid, "R3", "4.00").kind, "call")
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid),
                       ["R1 REFUNDED 6.00", "R2 FAILED 4.00", "R3 REQUESTED 4.00"])
    }

    func testBeginRefusesUnknownAndUnpaidBillsAndTooMuchBeforeWritingAnything() throws {
        XCTAssertStoreError(try store.beginRefund(.autoid(Int64.max), "R1", "1.00"), .notFound)
        XCTAssertStoreError(try store.beginRefund(.bill(billtype: "2", billnum: TestDatabase.uniqueBillnum()), "R1", "1.00"),
                            .notFound)
        XCTAssertErrno(try Refunds.beginRaw(connection, autoid: Int64.max, refundno: "R1", amount: "1.00"), 50004,
                       "No payment record")

        let issued = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), amount: "10.00")).record
        try store.recordQrIssued(autoid: issued.autoid, codeURL: "https://qr.alipay.com/x", validitySeconds: 600)
        XCTAssertRefused(try store.beginRefund(issued, "R1", "1.00"), .notPaid)
        XCTAssertRefused(try store.beginRefund(.bill(billtype: "2", billnum: issued.billnum), "R1", "1.00"), .notPaid)
        XCTAssertErrno(try Refunds.beginRaw(connection, autoid: issued.autoid, refundno: "R1", amount: "1.00"), 50007,
                       "is not paid")
        try store.recordClosed(autoid: issued.autoid)
        XCTAssertRefused(try store.beginRefund(issued, "R1", "1.00"), .notPaid)
        XCTAssertEqual(try Refunds.rows(connection, autoid: issued.autoid).count, 0)

        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        XCTAssertRefused(try store.beginRefund(paid, "R1", "10.01"), .exceedsRemaining)
        XCTAssertErrno(try Refunds.beginRaw(connection, autoid: paid.autoid, refundno: "R1", amount: "10.01"), 50009,
                       "exceeds what is left to refund (10.00)")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "refusals write nothing")
        XCTAssertEqual(try store.beginRefund(paid, "R1", "10.00").kind, "call", "exactly what is left is allowed")
    }

    func testBeginChecksItsArguments() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        func refused(_ refundno: String?, _ amount: String?, reason: String? = nil, lease: Int64? = 60_000,
                     _ fragment: String, line: UInt = #line) {
            XCTAssertErrno(try Refunds.beginRaw(connection, autoid: paid.autoid, refundno: refundno, amount: amount,
                                                reason: reason, leaseMilliseconds: lease),
                           50002, fragment, line: line)
        }
        refused(nil, "1.00", "refundno is required")
        refused("", "1.00", "refundno is required")
        refused("   ", "1.00", "refundno is required")
        refused(String(repeating: "9", count: 33), "1.00", "refundno must be at most 32 characters")
        refused("R1", nil, "refundvalue must be greater than 0")
        refused("R1", "0", "refundvalue must be greater than 0")
        refused("R1", "0.00", "refundvalue must be greater than 0")
        refused("R1", "-1.00", "refundvalue must be greater than 0")
        refused("R1", "1.001", "refundvalue must have at most 2 decimal places")
        refused("R1", "0.005", "refundvalue must have at most 2 decimal places")
        refused("R1", "1.00", reason: String(repeating: "x", count: 257), "reason must be at most 256 characters")
        refused("R1", "1.00", lease: 0, "lease must be between 1 and 600000 milliseconds")
        refused("R1", "1.00", lease: 600_001, "lease must be between")
        refused("R1", "1.00", lease: nil, "lease must be between")
        XCTAssertEqual(try Refunds.rows(connection, autoid: paid.autoid).count, 0, "refusals write nothing")

        let longest = String(repeating: "9", count: 32)
        let row = try XCTUnwrap(Refunds.beginRaw(connection, autoid: paid.autoid, refundno: longest, amount: "1.50"))
        XCTAssertEqual(try row.string("action"), "call")
        XCTAssertEqual(try row.string("refundno"), longest)
        XCTAssertEqual(try row.string("amount"), "1.50")
    }

    func testRefundnosBelongToTheirBill() throws {
        let first = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let second = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let one = try store.startRefund(first, "R1", "3.00")
        let other = try store.startRefund(second, "R1", "5.00")
        XCTAssertNotEqual(one.refundID, other.refundID, "the same refundno on another bill is another refund")
        XCTAssertNotEqual(one.outRequestNo, other.outRequestNo)
        // Case matters (utf8mb4_bin): r1 is not R1.
        XCTAssertEqual(try store.beginRefund(first, "r1", "4.00").kind, "call")
    }

    func testEachBilltypesRefundReceiptLandsInTheTableBesideItsReceiptTable() throws {
        for billtype in ["1", "2", "3", "4", "5", "6", "7"] {
            let paid = try Receipts.pay(store, billtype: billtype, amount: "12.3\(billtype)")
            let refund = try store.refund(paid, "R\(billtype)", "1.0\(billtype)")
            var expected = Dictionary(uniqueKeysWithValues: Refunds.receiptTables.keys.map { ($0, Int64(0)) })
            expected[billtype] = 1
            XCTAssertEqual(try Refunds.receiptCounts(connection, refundID: refund.refundID), expected,
                           "billtype \(billtype)")
            let receipt = try XCTUnwrap(Refunds.receipt(connection, billtype: billtype, refundID: refund.refundID))
            XCTAssertEqual(try receipt.int64("autoid"), paid.autoid)
            XCTAssertEqual(try receipt.string("billnum"), paid.billnum)
            XCTAssertEqual(try receipt.string("refundno"), "R\(billtype)")
            XCTAssertEqual(try receipt.string("amount"), "1.0\(billtype)")
            XCTAssertEqual(try receipt.string("trade_no"), paid.tradeNo)
            if billtype == "7" { XCTAssertEqual(try receipt.string("cardno"), paid.cardno) }
            XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)[billtype], 1,
                           "the payment's receipt is not touched")
        }
    }
}

