import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import TestSupport
import XCTest

/// Sp_3Pay_Offline_Refund_Stale, the refunds the sweep settles with a refund query, in a database of its own.
final class RefundStaleTests: IsolatedDatabaseTestCase {
    /// Pretends the refund was last changed `seconds` ago.
    private func backdate(_ refundID: Int64, seconds: Int) throws {
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_Refund SET updated_at = UTC_TIMESTAMP(3) - INTERVAL ? SECOND WHERE refund_id = ?",
            [.int(Int64(seconds)), .int(refundID)])
    }

    func testListsPendingRefundsAndThoseWhoseCallerStoppedOldestFirst() throws {
        let paid = try Receipts.pay(store, billtype: "2", amount: "100.00")
        let pending = try store.startRefund(paid, "P", "1.00")
        try store.recordRefundPending(pending.refundID)
        try backdate(pending.refundID, seconds: 100)

        let inProgress = try store.startRefund(paid, "Q", "1.00")
        try backdate(inProgress.refundID, seconds: 500)

        let abandoned = try store.startRefund(paid, "A", "1.00", leaseMilliseconds: 1)
        try backdate(abandoned.refundID, seconds: 300)

        let refunded = try store.refund(paid, "R", "1.00")
        try backdate(refunded.refundID, seconds: 900)
        let failed = try store.startRefund(paid, "F", "1.00")
        try store.recordRefundFailed(failed.refundID)
        try backdate(failed.refundID, seconds: 900)

        // The 1 ms lease is over by the database's clock.
        try Poll.until("the abandoned refund's lease over", seconds: 30) {
            try connection.execute("SELECT lease_until < UTC_TIMESTAMP(3) AS expired FROM T_3Pay_Offline_Refund WHERE refund_id = ?",
                                   [.int(abandoned.refundID)]).first?.rows.first?.int64("expired") == 1
        }
        let stale = try store.staleRefunds(limit: 100)
        XCTAssertEqual(stale.map(\.refundID), [abandoned.refundID, pending.refundID])
        XCTAssertEqual(stale.map(\.status), [.requested, .pending])
        XCTAssertEqual(try stale.map { try XCTUnwrap(store.findRefund($0.refundID)) }, stale,
                       "the same refund columns as the other procedures")
        XCTAssertEqual(try store.staleRefunds(limit: 1).map(\.refundID), [abandoned.refundID])

        // Taken up again (Begin answers 'query' and leases it), it leaves the list until that lease runs out.
        XCTAssertEqual(try store.beginRefund(paid, "P", "1.00").kind, "query")
        XCTAssertEqual(try store.staleRefunds(limit: 100).map(\.refundID), [abandoned.refundID])
        try store.recordRefunded(abandoned.refundID)
        XCTAssertEqual(try store.staleRefunds(limit: 100), [])
    }

    func testTheLimitIsChecked() throws {
        XCTAssertRule(try store.staleRefunds(limit: 0), containing: "limit must be between 1 and 1000")
        XCTAssertRule(try store.staleRefunds(limit: 1001), containing: "limit must be between 1 and 1000")
        XCTAssertEqual(try store.staleRefunds(limit: 1000), [])
    }
}
