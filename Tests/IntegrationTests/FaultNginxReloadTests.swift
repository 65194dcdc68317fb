import Foundation
import TestSupport
import XCTest

/// nginx is reloaded (`nginx -s reload`, twice) in the middle of a ScanCode + Query + pay load: its old
/// workers finish what they serve, so not a single request may fail.
final class FaultNginxReloadTests: FaultTestCase {
    func testNginxReloadedUnderLoadFailsNoRequest() async throws {
        let source = FaultBillSource(tag: "ng")
        let reserve = FaultReserve()
        var extra: [FaultPayment] = []
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            for _ in 0..<2 {
                try await progress.waitForAnswers(100)
                try await Background.run { try FaultStack.reloadNginx() }
                for issued in reserve.take(3) { extra.append(await FaultLoad.pay(issued)) }
            }
            try await progress.waitForAnswers(100)
        }

        // Zero failures: FaultRules() allows no errcode and no nginx page.
        try await settle("nginx reloaded twice under load", source, load, FaultRules(), extraPayments: extra)
    }
}
