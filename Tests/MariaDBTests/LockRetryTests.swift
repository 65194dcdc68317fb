import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import Synchronization
import TestSupport
import XCTest

/// Lock wait timeouts are passed on by the procedures at once and retried by PaymentRecords alone, while the
/// call's deadline allows.
///
/// A holder keeps the bill's row locked while a worker with a 1-second lock wait timeout calls Begin. Each
/// attempt waits for the lock in a transaction of its own, so the worker's waits can be counted in
/// information_schema.INNODB_TRX (the test account needs PROCESS, as the private instance's has); the holder
/// lets go once it has seen as many as the test wants, and the counts and the order of events, not durations,
/// show who retried and who stopped.
final class LockRetryTests: XCTestCase {
    /// The worker connection's id on the server, published by the worker thread.
    private final class ServerConnectionID: Sendable {
        let value = Mutex<UInt64?>(nil)
    }

    /// Begins the bill while its row is locked; releases the lock after `waits` lock waits of the worker (or
    /// when the worker gave up). Returns Begin's outcome and how many waits were seen.
    private func beginAgainstLock(
        releaseAfter waits: Int, storeAttempts: Int, deadlineMilliseconds: Int = 60_000
    ) throws -> (outcome: String, waits: Int, finishedWhileLocked: Bool) {
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
                return try store.begin(
                    input.bill, clientIP: input.clientip, qrValiditySeconds: input.qrValiditySeconds, lease: nil,
                    deadline: .after(milliseconds: deadlineMilliseconds)
                ).kind
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
        let finishedWhileLocked = worker.isFinished
        _ = try holder.execute("COMMIT")
        return (try worker.value("Begin after the lock was released", seconds: 120), seen.count, finishedWhileLocked)
    }

    func testTheProcedurePassesALockWaitTimeoutOnAtOnce() throws {
        // One call of the store, which may not retry: one wait, then the error (the procedure did not wait again).
        let result = try beginAgainstLock(releaseAfter: 2, storeAttempts: 1)
        XCTAssertTrue(result.outcome.contains("unavailable"), result.outcome)
        XCTAssertEqual(result.waits, 1, "the procedure waited once and passed the timeout on")
        XCTAssertTrue(result.finishedWhileLocked)
    }

    func testTheStoreWaitsAgainUntilTheLockIsReleased() throws {
        let result = try beginAgainstLock(releaseAfter: 3, storeAttempts: 1000)
        XCTAssertEqual(result.outcome, "existing", "the store's retries outlast the holder")
        XCTAssertGreaterThanOrEqual(result.waits, 3)
        XCTAssertFalse(result.finishedWhileLocked)
    }

    func testTheStoreStopsAtTheDeadlineWhileTheLockIsStillHeld() throws {
        // A 2.5-second deadline against a lock held for as many waits as it takes: the store gives up (4001) while
        // the holder still holds the lock, after a couple of 1-second waits.
        let result = try beginAgainstLock(releaseAfter: 1000, storeAttempts: 1000, deadlineMilliseconds: 2500)
        XCTAssertTrue(result.outcome.contains("unavailable"), result.outcome)
        XCTAssertTrue(result.finishedWhileLocked, "it did not wait for the lock beyond its deadline")
        XCTAssertGreaterThanOrEqual(result.waits, 2)
    }
}
