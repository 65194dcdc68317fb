import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Several deliverer threads claiming from one outbox at once, each on its own connection.
final class CallbackClaimConcurrencyTests: XCTestCase {
    private final class Claims: @unchecked Sendable {
        // Guarded by `lock`; written by the claimer threads, read after they all finished.
        private let lock = NSLock()
        private var byClaimer: [Int: [Int64]] = [:]

        func add(_ ids: [Int64], claimer: Int) { lock.withLock { byClaimer[claimer, default: []] += ids } }
        var all: [Int: [Int64]] { lock.withLock { byClaimer } }
    }

    func testConcurrentClaimersNeverShareACallback() throws {
        let database = try IsolatedDatabase.create()
        defer { database.drop() }
        let store = try database.store()
        let records = try (0..<200).map { index in try Receipts.pay(store, billtype: String(index % 7 + 1)) }

        let claims = Claims()
        // Eight claimers take small batches until nothing is due: every callback is then leased by someone.
        let claimer: @Sendable (Int, PaymentRecords) throws -> Void = { index, store in
            while true {
                let jobs = try store.claimCallbacks(limit: 4, leaseSeconds: 600)
                if jobs.isEmpty { break }
                claims.add(jobs.map(\.id), claimer: index)
            }
        }
        XCTAssertEqual(ConcurrentWorkers.run(settings: database.settings, Array(repeating: claimer, count: 8)), [])

        let byClaimer = claims.all
        let all = byClaimer.values.flatMap { $0 }
        XCTAssertEqual(all.count, Set(all).count, "a callback was claimed twice: \(byClaimer)")
        XCTAssertEqual(all.count, records.count, "every callback was claimed")
        let connection = try database.connect()
        let expected = try Set(records.map { record in
            try XCTUnwrap(Receipts.outbox(connection, autoid: record.autoid)?.int64("id"))
        })
        XCTAssertEqual(Set(all), expected)
    }

    func testAClaimSkipsRowsAnotherClaimerHoldsWithoutWaiting() throws {
        let database = try IsolatedDatabase.create()
        defer { database.drop() }
        let store = try database.store()
        let records = try (0..<3).map { _ in try Receipts.pay(store, billtype: "2") }
        let connection = try database.connect()
        let ids = try records.map { record in
            try XCTUnwrap(Receipts.outbox(connection, autoid: record.autoid)?.int64("id"))
        }

        // Another claimer in the middle of its transaction holds the oldest callback.
        let other = try database.connect()
        _ = try other.execute("START TRANSACTION")
        _ = try other.execute("SELECT id FROM T_3Pay_Callback_Outbox WHERE id = ? FOR UPDATE", [.int(ids[0])])
        defer { _ = try? other.execute("ROLLBACK") }
        XCTAssertThrowsError(
            try connection.execute("SELECT id FROM T_3Pay_Callback_Outbox WHERE id = ? FOR UPDATE NOWAIT", [.int(ids[0])]),
            "the oldest callback is locked")

        // InnoDB counts every row lock wait on the server; nothing else waits for a lock meanwhile.
        let waitsBefore = try Self.rowLockWaits(connection)
        let jobs = try store.claimCallbacks(limit: 10, leaseSeconds: 60)
        XCTAssertEqual(jobs.map(\.id), [ids[1], ids[2]], "the held row is skipped")
        XCTAssertEqual(try Self.rowLockWaits(connection) - waitsBefore, 0, "the claim did not wait for the lock")

        _ = try other.execute("ROLLBACK")
        XCTAssertEqual(try store.claimCallbacks(limit: 10, leaseSeconds: 60).map(\.id), [ids[0]])
    }

    /// The server's count of row lock waits since it started (`Innodb_row_lock_waits`).
    private static func rowLockWaits(_ connection: Connection) throws -> Int64 {
        try XCTUnwrap(try connection.execute(
            "SELECT VARIABLE_VALUE AS n FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'"
        ).first?.rows.first?.int64("n"))
    }
}
