import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Lock wait timeouts are retried, first inside the procedure (5 attempts), then by PaymentRecords.
final class LockRetryTests: XCTestCase {
    private final class Result: @unchecked Sendable {
        // Written once by the worker thread before `done` is signalled, read after.
        var outcome: String = "not run"
        var seconds: Double = 0
    }

    /// Holds the bill's lock for `hold` seconds while a worker with a 1-second lock wait timeout calls Begin.
    private func beginAgainstLock(hold: Double, storeAttempts: Int) throws -> Result {
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
        let result = Result()
        let done = DispatchSemaphore(value: 0)
        let input = TestDatabase.input(billnum)
        Thread {
            MariaDB.threadInit()
            defer { MariaDB.threadEnd() }
            let started = Date()
            do {
                let store = try PaymentRecords(connectionSettings: settings)
                store.maxAttempts = storeAttempts
                result.outcome = try store.begin(input).kind
            } catch {
                result.outcome = "\(error)"
            }
            result.seconds = Date().timeIntervalSince(started)
            done.signal()
        }.start()

        Thread.sleep(forTimeInterval: hold)
        _ = try holder.execute("COMMIT")
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        return result
    }

    func testProcedureRetriesALockWaitTimeout() throws {
        let result = try beginAgainstLock(hold: 2.5, storeAttempts: 1)
        XCTAssertEqual(result.outcome, "existing", "the third attempt inside the procedure gets the lock")
        XCTAssertGreaterThan(result.seconds, 2)
    }

    func testStoreRetriesWhenTheProcedureGivesUp() throws {
        // Five procedure attempts of one second each cannot outlast this hold; only the store's retry can.
        let result = try beginAgainstLock(hold: 6.5, storeAttempts: 5)
        XCTAssertEqual(result.outcome, "existing")
        XCTAssertGreaterThan(result.seconds, 6)
    }
}
