import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import Synchronization
import TestSupport
import XCTest

/// Lock wait timeouts are retried, first inside the procedure (5 attempts), then by PaymentRecords.
///
/// A holder keeps the bill's row locked while a worker with a 1-second lock wait timeout calls Begin. Each
/// attempt waits for the lock in a transaction of its own, so the worker's waits can be counted in
/// information_schema.INNODB_TRX (the test account needs PROCESS, as the private instance's has); the holder
/// lets go once it has seen as many as the test wants, and the counts, not durations, show who retried.
final class LockRetryTests: XCTestCase {
    /// The worker connection's id on the server, published by the worker thread.
    private final class ServerConnectionID: Sendable {
        let value = Mutex<UInt64?>(nil)
    }

    /// Begins the bill while its row is locked; releases the lock after `waits` lock waits of the worker (or
    /// when the worker gave up). Returns Begin's outcome and how many waits were seen.
    private func beginAgainstLock(releaseAfter waits: Int, storeAttempts: Int) throws -> (outcome: String, waits: Int) {
        let billnum = TestDatabase.uniqueBillnum()
        let holder = try TestDatabase.connect()
        _ = try PaymentRecords(connection: holder).begin(TestDatabase.input(billnum))
        _ = try holder.execute("START TRANSACTION")
        _ = try holder.execute(
            "SELECT current_autoid FROM T_3Pay_Offline_Bill WHERE billtype = '2' AND billnum = ? FOR UPDATE",
            [.string(billnum)])

        var impatient = try TestDatabase.settings()
        impatient.lockWaitTimeoutSeconds = 1
        let settings = impatient
        let input = TestDatabase.input(billnum)
        let workerID = ServerConnectionID()
        let worker = Background { () -> String in
            MariaDB.threadInit()
            defer { MariaDB.threadEnd() }
            do {
                let store = try PaymentRecords(connectionSettings: settings)
                store.maxAttempts = storeAttempts
                workerID.value.withLock { $0 = store.connection.serverConnectionID }
                return try store.begin(input).kind
            } catch {
                return "\(error)"
            }
        }

        let observer = try TestDatabase.connect()
        var seen: Set<String> = []
        // InnoDB refreshes INNODB_TRX only when it was not read for 0.1 s: look less often than that.
        try Poll.until("\(waits) lock waits of the worker", seconds: 120, every: 0.2) {
            if worker.isFinished { return true }
            guard let id = workerID.value.withLock({ $0 }) else { return false }
            let waiting = try observer.execute(
                "SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'",
                [.int(Int64(id))])
            for row in waiting.first?.rows ?? [] { seen.insert(try row.requiredString("trx_id")) }
            return seen.count >= waits
        }
        _ = try holder.execute("COMMIT")
        return (try worker.value("Begin after the lock was released", seconds: 120), seen.count)
    }

    func testProcedureRetriesALockWaitTimeout() throws {
        // Two waits in one call of the store (which does not retry here): the procedure retried the first.
        let result = try beginAgainstLock(releaseAfter: 2, storeAttempts: 1)
        XCTAssertEqual(result.outcome, "existing", "a later attempt inside the procedure gets the lock")
        XCTAssertGreaterThanOrEqual(result.waits, 2)
    }

    func testStoreRetriesWhenTheProcedureGivesUp() throws {
        // Five procedure attempts cannot outlast six waits; only the store's retry can.
        let result = try beginAgainstLock(releaseAfter: 6, storeAttempts: 5)
        XCTAssertEqual(result.outcome, "existing")
        XCTAssertGreaterThanOrEqual(result.waits, 6)
    }
}
