import Foundation
import XCTest

/// The stack's responder is killed with `kill -9` in the middle of a ScanCode + Query + pay load and started
/// again; buyers pay while it is down. Requests in flight and sent meanwhile get nginx's 502 (the 4003 envelope); nothing may be
/// lost or counted twice, and every request after the restart succeeds.
final class FaultResponderKillTests: FaultTestCase {
    func testResponderKilledWithSignal9UnderLoadAndRestarted() async throws {
        let source = FaultBillSource(tag: "k9")
        let reserve = FaultReserve()
        var extra: [FaultPayment] = []
        var recovered = Date.distantFuture
        let load = try await FaultLoad.around(source, reserve: reserve) {
            try await Task.sleep(nanoseconds: 1_500_000_000)
            try await FaultBlocking.run { try FaultStack.killResponder() }
            // Buyers pay while nothing serves the notification URL: nginx answers Alipay 502.
            for issued in reserve.take(6) { extra.append(await FaultLoad.pay(issued)) }
            try await Task.sleep(nanoseconds: 500_000_000)
            _ = try await FaultBlocking.run { try FaultStack.restartResponder() }
            try await FaultStack.waitHealthy()
            recovered = Date()
            try await Task.sleep(nanoseconds: 1_500_000_000)
        }

        XCTAssertFalse(extra.isEmpty, "bills were paid while the responder was down")
        XCTAssertTrue(load.scanCodes.contains { $0.httpStatus == 502 }, "requests failed while the responder was down")
        let late = load.scanCodes.filter { $0.sentAt > recovered.addingTimeInterval(0.5) }
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
