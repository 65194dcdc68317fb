import Foundation
import TestSupport
import XCTest

/// MariaDB is stopped and started again in the middle of a ScanCode + Query + pay load, and buyers pay while
/// it is down. Answers may say 4001 meanwhile; no payment may be lost or counted twice, no process may
/// crash, and once the database is back every request succeeds again.
final class FaultDatabaseRestartTests: FaultTestCase {
    func testMariaDBRestartedInTheMiddleOfALoad() async throws {
        guard LifecycleProcesses.hasPrivateDatabase else {
            throw XCTSkip("the stack uses an external database; this test restarts the private one")
        }
        let source = FaultBillSource(tag: "db")
        let reserve = FaultReserve()
        let responder = FaultStack.responderPID()
        var extra: [FaultPayment] = []
        let workers = FaultStack.responderWorkers()
        var recovered = Int.max
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            try await progress.waitForAnswers(100)
            try await Background.run { try FaultStack.database("stop") }
            // Buyers pay while the database is down: ThreePay cannot record these notifications yet.
            for issued in reserve.take(6) { extra.append(await FaultLoad.pay(issued)) }
            try await progress.waitForAnswers(50)
            try await Background.run { try FaultStack.database("start") }
            try await TestStack.waitHealthy()
            // Each worker may find its own connection broken once, at its next request; idle workers take
            // requests in turn, so after twice as many answers as there are workers every one has had its turn.
            try await progress.waitForAnswers(2 * workers)
            recovered = progress.sent.value
            try await progress.waitForAnswers(100)
        }

        XCTAssertFalse(extra.isEmpty, "bills were paid while the database was down")
        XCTAssertEqual(FaultStack.responderPID(), responder, "the responder survived the outage (same process)")
        let late = load.scanCodes.filter { $0.sequence > recovered }
        XCTAssertFalse(late.isEmpty, "the load went on after the restart")
        for answer in late.filter({ $0.errcode != 0 }).prefix(10) {
            XCTFail("a request sent after every worker had its turn with the database back failed: \(answer)")
        }

        var rules = FaultRules()
        rules.scanCodeErrcodes = [4001]
        rules.queryErrcodes = [4001]
        // Begin committed and then the database went away (INITIATED), or the answer of QrIssued was lost.
        rules.failedRecordStatuses = ["INITIATED", "QR_ISSUED"]
        rules.failedMayHaveNoRecord = true
        rules.expectFailures = true
        try await settle("MariaDB restarted under load", source, load, rules, extraPayments: extra)
    }
}
