import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import TestSupport
import XCTest

/// The callback outbox procedures (sql/030_callbacks.sql), each test in a database of its own.
final class CallbackOutboxTests: IsolatedDatabaseTestCase {
    /// Moves a callback's schedule `seconds` into the past, as if that much time went by.
    private func age(_ id: Int64, seconds: Int) throws {
        _ = try connection.execute("""
            UPDATE T_3Pay_Callback_Outbox
               SET next_attempt_at = next_attempt_at - INTERVAL ? SECOND,
                   lease_until = lease_until - INTERVAL ? SECOND
             WHERE id = ?
            """, [.int(Int64(seconds)), .int(Int64(seconds)), .int(id)])
    }

    private func row(_ id: Int64) throws -> Row {
        try XCTUnwrap(Receipts.outbox(connection, id: id))
    }

    func testClaimReturnsThePaymentAndLeasesIt() throws {
        let cardno = Receipts.uniqueCardno()
        let paid = try Receipts.pay(store, billtype: "7", amount: "23.45", cardno: cardno, tradeNo: "CB1")
        let before = try TestDatabase.now(connection)
        let jobs = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        let after = try TestDatabase.now(connection)
        XCTAssertEqual(jobs.count, 1)
        let job = try XCTUnwrap(jobs.first)
        let outbox = try XCTUnwrap(Receipts.outbox(connection, autoid: paid.autoid))
        XCTAssertEqual(job, CallbackJob(
            id: try XCTUnwrap(outbox.int64("id")), attempts: 0, autoid: paid.autoid, billtype: "7",
            billnum: paid.billnum, outTradeNo: paid.outTradeNo, tradeNo: "CB1", amount: Money(exactly: "23.45")!,
            paidAt: paid.paidAt, cardno: cardno, paytype: "01"))
        XCTAssertNotNil(job.paidAt)

        // lease_until is UTC now + lease: the claim's own time (updated_at, taken during the call) plus 60 s.
        let claimed = try XCTUnwrap(row(job.id).date("updated_at"))
        XCTAssertEqual(try row(job.id).date("lease_until"), claimed.addingTimeInterval(60), "lease_until is UTC now + lease")
        XCTAssertLessThanOrEqual(before, claimed)
        XCTAssertLessThanOrEqual(claimed, after)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60), [], "a leased callback is not due")
    }

    func testAnExpiredLeaseMakesTheCallbackDueAgain() throws {
        _ = try Receipts.pay(store, billtype: "1")
        let first = try XCTUnwrap(store.claimCallbacks(limit: 10, leaseSeconds: 1).first)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 1), [])
        // The claim compares the lease with the database's clock; wait until that clock has passed it.
        try Poll.until("the 1 s lease over by the database's clock", seconds: 30) {
            try connection.execute(
                "SELECT lease_until <= UTC_TIMESTAMP(3) AS expired FROM T_3Pay_Callback_Outbox WHERE id = ?", [.int(first.id)]
            ).first?.rows.first?.int64("expired") == 1
        }
        let again = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(again, [first], "same callback, attempts unchanged: the lost claim never reported")
    }

    func testClaimHonoursTheLimitAndTheDueOrder() throws {
        let records = try (0..<3).map { _ in try Receipts.pay(store, billtype: "2") }
        let first = try store.claimCallbacks(limit: 2, leaseSeconds: 60)
        XCTAssertEqual(first.map(\.autoid), [records[0].autoid, records[1].autoid])
        XCTAssertEqual(try store.claimCallbacks(limit: 2, leaseSeconds: 60).map(\.autoid), [records[2].autoid])
        XCTAssertEqual(try store.claimCallbacks(limit: 2, leaseSeconds: 60), [])
    }

    func testFailedWithBackOffHidesTheCallbackUntilDue() throws {
        _ = try Receipts.pay(store, billtype: "4")
        let job = try XCTUnwrap(store.claimCallbacks(limit: 1, leaseSeconds: 60).first)
        let before = try TestDatabase.now(connection)
        try store.callbackFailed(id: job.id, httpStatus: 503, error: "HTTP 503 from receiver", retryAfterSeconds: 300,
                                 giveUp: false)
        let after = try TestDatabase.now(connection)

        let failed = try row(job.id)
        XCTAssertEqual(try failed.string("status"), "PENDING")
        XCTAssertEqual(try failed.int64("attempts"), 1)
        XCTAssertEqual(try failed.int64("last_http_status"), 503)
        XCTAssertEqual(try failed.string("last_error"), "HTTP 503 from receiver")
        XCTAssertNil(try failed.string("lease_until"), "the lease is released")
        // Due again at the report's own time (updated_at, taken during the call) plus the back-off.
        let reported = try XCTUnwrap(failed.date("updated_at"))
        XCTAssertEqual(try failed.date("next_attempt_at"), reported.addingTimeInterval(300))
        XCTAssertLessThanOrEqual(before, reported)
        XCTAssertLessThanOrEqual(reported, after)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60), [], "not due before the back-off")

        // The same report repeated (e.g. re-sent after a lost connection) is not a second attempt.
        try store.callbackFailed(id: job.id, httpStatus: 503, error: "again", retryAfterSeconds: 300, giveUp: false)
        XCTAssertEqual(try row(job.id).int64("attempts"), 1)
        XCTAssertEqual(try row(job.id).string("last_error"), "HTTP 503 from receiver")

        try age(job.id, seconds: 301)
        let retried = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(retried.map(\.id), [job.id])
        XCTAssertEqual(retried.first?.attempts, 1)
    }

    func testGaveUpAndDeliveredCallbacksAreNeverClaimedAgain() throws {
        _ = try Receipts.pay(store, billtype: "5")
        _ = try Receipts.pay(store, billtype: "6")
        let jobs = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(jobs.count, 2)
        let (abandoned, delivered) = (jobs[0], jobs[1])

        try store.callbackFailed(id: abandoned.id, httpStatus: nil, error: "connect refused", retryAfterSeconds: 0,
                                 giveUp: true)
        try store.callbackDelivered(id: delivered.id, httpStatus: 200)
        try age(abandoned.id, seconds: 86_400)
        try age(delivered.id, seconds: 86_400)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60), [])

        let gaveUp = try row(abandoned.id)
        XCTAssertEqual(try gaveUp.string("status"), "GAVE_UP")
        XCTAssertEqual(try gaveUp.int64("attempts"), 1)
        XCTAssertNil(try gaveUp.string("last_http_status"))
        XCTAssertEqual(try gaveUp.string("last_error"), "connect refused")

        let done = try row(delivered.id)
        XCTAssertEqual(try done.string("status"), "DELIVERED")
        XCTAssertEqual(try done.int64("attempts"), 1)
        XCTAssertEqual(try done.int64("last_http_status"), 200)
        XCTAssertNotNil(try done.date("delivered_at"))

        // Late or repeated reports do not take a delivery back, nor count it twice.
        try store.callbackDelivered(id: delivered.id, httpStatus: 200)
        try store.callbackFailed(id: delivered.id, httpStatus: 500, error: "late", retryAfterSeconds: 5,
                                 giveUp: false)
        try store.callbackSkipped(id: delivered.id, reason: "late")
        XCTAssertEqual(try row(delivered.id), done)
    }

    func testSkippedIsFinalUntilADBARequeuesIt() throws {
        _ = try Receipts.pay(store, billtype: "2")
        let job = try XCTUnwrap(store.claimCallbacks(limit: 1, leaseSeconds: 60).first)
        try store.callbackSkipped(id: job.id, reason: "no callback URL for billtype 2")
        let skipped = try row(job.id)
        XCTAssertEqual(try skipped.string("status"), "SKIPPED")
        XCTAssertEqual(try skipped.int64("attempts"), 0, "nothing was sent")
        XCTAssertEqual(try skipped.string("last_error"), "no callback URL for billtype 2")
        try age(job.id, seconds: 86_400)
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60), [])

        _ = try connection.call("Sp_3Pay_Callback_Requeue", [.int(job.id)], idempotent: false)
        let requeued = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(requeued.map(\.id), [job.id])
        try store.callbackDelivered(id: job.id, httpStatus: 204)
        XCTAssertThrowsError(try connection.call("Sp_3Pay_Callback_Requeue", [.int(job.id)], idempotent: false)) { error in
            XCTAssertEqual((error as? MariaDBError)?.code, 50003)
        }
    }

    func testAGaveUpCallbackCanBeRequeuedWithItsAttemptsReset() throws {
        _ = try Receipts.pay(store, billtype: "3")
        let job = try XCTUnwrap(store.claimCallbacks(limit: 1, leaseSeconds: 60).first)
        try store.callbackFailed(id: job.id, httpStatus: 500, error: "boom", retryAfterSeconds: 0, giveUp: true)
        let answer = try connection.call("Sp_3Pay_Callback_Requeue", [.int(job.id)], idempotent: false).first?.rows.first
        XCTAssertEqual(try answer?.string("status"), "PENDING")
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60).map(\.attempts), [0])
    }

    func testUnknownCallbacksAreNotFound() throws {
        XCTAssertStoreError(try store.callbackDelivered(id: Int64.max, httpStatus: 200), .notFound)
        XCTAssertStoreError(try store.callbackFailed(id: Int64.max, httpStatus: nil, error: "x", retryAfterSeconds: 1,
                                                     giveUp: false), .notFound)
        XCTAssertStoreError(try store.callbackSkipped(id: Int64.max, reason: "x"), .notFound)
    }

    func testArgumentsAreChecked() throws {
        XCTAssertRule(try store.claimCallbacks(limit: 0, leaseSeconds: 60), containing: "limit must be between 1 and 1000")
        XCTAssertRule(try store.claimCallbacks(limit: 1001, leaseSeconds: 60), containing: "limit must be between")
        XCTAssertRule(try store.claimCallbacks(limit: 1, leaseSeconds: 0),
                      containing: "lease must be between 1 and 86400 seconds")
        _ = try Receipts.pay(store, billtype: "1")
        let job = try XCTUnwrap(store.claimCallbacks(limit: 1, leaseSeconds: 60).first)
        XCTAssertRule(try store.callbackDelivered(id: job.id, httpStatus: 42),
                      containing: "http_status must be between 100 and 999")
        XCTAssertRule(try store.callbackFailed(id: job.id, httpStatus: nil, error: "x", retryAfterSeconds: -1,
                                               giveUp: false),
                      containing: "retry_after must be between 0 and 604800 seconds")
        XCTAssertEqual(try row(job.id).int64("attempts"), 0, "refused reports change nothing")

        // An over-long error text is cut, not refused: the outcome must always be recordable.
        try store.callbackFailed(id: job.id, httpStatus: nil, error: String(repeating: "é", count: 600),
                                 retryAfterSeconds: 10, giveUp: false)
        XCTAssertEqual(try row(job.id).string("last_error")?.count, 512)
    }
}
