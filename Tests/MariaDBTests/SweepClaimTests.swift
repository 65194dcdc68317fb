import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_ReceiveMoney_ClaimStale and Sp_3Pay_Offline_Refund_ClaimStale: every responder sweeps, and the
/// claims keep two sweepers off one record (sql/040_sweep.sql, sql/050_refunds.sql).
final class SweepClaimTests: IsolatedDatabaseTestCase {
    private var deadline: Deadline { .after(milliseconds: PaymentRecords.testDeadlineMilliseconds) }

    /// A record whose outcome is unknown, last changed ten minutes ago.
    private func staleRecord() throws -> PaymentRecord {
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET updated_at = UTC_TIMESTAMP(3) - INTERVAL 600 SECOND"
                + " WHERE autoid = ?", [.int(record.autoid)])
        return try XCTUnwrap(store.find(autoid: record.autoid))
    }

    private func claim(_ limit: Int, leaseMilliseconds: Int = 60_000, on store: PaymentRecords? = nil) throws
        -> [Int64]
    {
        try (store ?? self.store).claimStaleRecords(
            limit: limit, unknownAfterSeconds: 60, leaseMilliseconds: leaseMilliseconds, deadline: deadline
        ).map(\.autoid)
    }

    func testAClaimedRecordIsGivenToNoOtherSweeperUntilTheClaimRunsOut() throws {
        let records = try (0..<3).map { _ in try staleRecord() }
        XCTAssertEqual(try claim(2), records.prefix(2).map(\.autoid), "the oldest first, as _Stale lists them")
        XCTAssertEqual(try claim(10), [records[2].autoid], "the claimed ones are skipped")
        XCTAssertEqual(try claim(10), [])
        XCTAssertEqual(try store.staleRecords(limit: 10, unknownAfterSeconds: 60).map(\.autoid),
                       records.map(\.autoid), "the DBA's list still shows every one")
        XCTAssertEqual(try records.map { try XCTUnwrap(store.find(autoid: $0.autoid)) }, records,
                       "a claim changes none of the record's columns (updated_at included)")

        // The first claim runs out: the record is swept again.
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET sweep_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE autoid = ?",
            [.int(records[0].autoid)])
        XCTAssertEqual(try claim(10), [records[0].autoid])
    }

    func testASettledRecordLeavesTheListWhateverItsClaim() throws {
        let record = try staleRecord()
        XCTAssertEqual(try claim(10), [record.autoid])
        try store.recordClosed(autoid: record.autoid)
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET sweep_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE autoid = ?",
            [.int(record.autoid)])
        XCTAssertEqual(try claim(10), [], "closed: nothing to settle once the claim has run out")
    }

    func testConcurrentSweepersNeverShareARecord() throws {
        let records = try (0..<60).map { _ in try staleRecord() }
        let claims = ClaimLog()
        let sweeper: @Sendable (Int, PaymentRecords) throws -> Void = { index, store in
            while true {
                let claimed = try store.claimStaleRecords(
                    limit: 3, unknownAfterSeconds: 60, leaseMilliseconds: 600_000,
                    deadline: .after(milliseconds: PaymentRecords.testDeadlineMilliseconds))
                if claimed.isEmpty { break }
                claims.add(claimed.map(\.autoid))
            }
        }
        XCTAssertEqual(ConcurrentWorkers.run(settings: database.settings, Array(repeating: sweeper, count: 8)), [])
        XCTAssertEqual(claims.all.sorted(), records.map(\.autoid).sorted(), "every record claimed exactly once")
    }

    func testRefundsToSettleAreClaimedWithTheRefundsLease() throws {
        let paid = try Receipts.pay(store, billtype: "2")
        let request = RefundRequest(lookup: .autoid(paid.autoid), refundno: "R1", amount: Money(exactly: "1.00")!)
        guard case .callAlipay(let refund) = try store.beginRefund(request, leaseMilliseconds: 60_000, deadline: deadline)
        else { return XCTFail("a new refund is called at Alipay") }
        _ = try store.recordRefundPending(refundID: refund.refundID, reason: "timeout", deadline: deadline)

        let claimed = try store.claimStaleRefunds(limit: 10, leaseMilliseconds: 60_000, deadline: deadline)
        XCTAssertEqual(claimed.map(\.refundID), [refund.refundID])
        XCTAssertEqual(try store.claimStaleRefunds(limit: 10, leaseMilliseconds: 60_000, deadline: deadline), [],
                       "held by the first sweeper")
        guard case .busy = try store.beginRefund(request, leaseMilliseconds: 60_000, deadline: deadline) else {
            return XCTFail("the same refund asked again waits for the sweeper")
        }
        _ = try store.recordRefunded(refundID: refund.refundID, refundedAt: nil, deadline: deadline)
        guard case .done(let done) = try store.beginRefund(request, leaseMilliseconds: 60_000, deadline: deadline) else {
            return XCTFail("recorded by the sweeper")
        }
        XCTAssertEqual(done.status, .refunded)
    }

    func testArgumentsAreChecked() throws {
        XCTAssertRule(try claim(0), containing: "limit must be between 1 and 1000")
        XCTAssertRule(try claim(10, leaseMilliseconds: 0), containing: "lease must be between 1 and 600000 milliseconds")
        XCTAssertRule(try store.claimStaleRefunds(limit: 10, leaseMilliseconds: 600_001, deadline: deadline),
                      containing: "lease must be between 1 and 600000 milliseconds")
    }
}

/// Ids claimed by several threads.
private final class ClaimLog: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var ids: [Int64] = []

    func add(_ claimed: [Int64]) { lock.withLock { ids += claimed } }
    var all: [Int64] { lock.withLock { ids } }
}
