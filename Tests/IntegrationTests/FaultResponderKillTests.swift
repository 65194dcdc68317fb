import Foundation
import TestSupport
import XCTest

/// The stack's responder is killed with `kill -9` in the middle of a ScanCode + Query + pay load and started
/// again; buyers pay while it is down. Requests in flight and sent meanwhile get nginx's 502 (the 4003 envelope); nothing may be
/// lost or counted twice, and every request after the restart succeeds.
final class FaultResponderKillTests: FaultTestCase {
    func testResponderKilledWithSignal9UnderLoadAndRestarted() async throws {
        let source = FaultBillSource(tag: "k9")
        let reserve = FaultReserve()
        var extra: [FaultPayment] = []
        let workers = FaultStack.responderWorkers()
        var recovered = Int.max
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            try await progress.waitForAnswers(100)
            try await Background.run { try FaultStack.killResponder() }
            // Buyers pay while nothing serves the notification URL: nginx answers Alipay 502.
            for issued in reserve.take(6) { extra.append(await FaultLoad.pay(issued)) }
            try await progress.waitForAnswers(50)
            _ = try await Background.run { try FaultStack.restartResponder() }
            try await TestStack.waitHealthy()
            // Every worker of the new process has taken a request (idle workers take them in turn).
            try await progress.waitForAnswers(workers)
            recovered = progress.sent.value
            try await progress.waitForAnswers(100)
        }

        XCTAssertFalse(extra.isEmpty, "bills were paid while the responder was down")
        XCTAssertTrue(load.scanCodes.contains { $0.httpStatus == 502 }, "requests failed while the responder was down")
        let late = load.scanCodes.filter { $0.sequence > recovered }
        XCTAssertFalse(late.isEmpty, "the load went on after the restart")
        for answer in late.filter({ $0.errcode != 0 }).prefix(10) {
            XCTFail("a request sent after the restart failed: \(answer)")
        }

        var rules = FaultRules()
        // nginx answers the gap with its 4003 envelope (HTTP 502).
        rules.scanCodeErrcodes = [4003]
        rules.queryErrcodes = [4003]
        rules.nginxBadGateway = true
        // Killed after Begin (INITIATED) or after QrIssued but before the answer left (QR_ISSUED).
        rules.failedRecordStatuses = ["INITIATED", "QR_ISSUED"]
        rules.failedMayHaveNoRecord = true
        rules.expectFailures = true
        try await settle("responder kill -9 under load", source, load, rules, extraPayments: extra)
    }
}
