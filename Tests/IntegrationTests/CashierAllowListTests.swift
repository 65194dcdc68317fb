import CurlClient
import Foundation
import XCTest

/// The cashier page, its icon and the QR picture are under the API location of the shipped nginx snippet, so
/// its allow list covers them: they are for the merchant's own screens, not for the internet.
final class CashierAllowListTests: XCTestCase {
    private var nginx: SecurityNginx?
    private var client: HTTPClient!
    private let paths = [
        "/api/3Pay/AliPay/Cashier?autoid=1", "/api/3Pay/AliPay/QR?autoid=1", "/api/3Pay/AliPay/QR?autoid=1&format=svg",
        "/api/3Pay/AliPay/CashierIcon", "/api/3pay/alipay/cashier?autoid=1", "/API/3PAY/ALIPAY/QR?autoid=1",
    ]

    override func setUpWithError() throws {
        try super.setUpWithError()
        client = try HTTPClient(connectTimeoutMilliseconds: 3000, totalTimeoutMilliseconds: 30_000, verifyTLS: false)
    }

    override func tearDown() {
        nginx?.stop()
        nginx = nil
        client = nil
        super.tearDown()
    }

    func testOtherNetworksGetNginxsRefusal() throws {
        let base = try start(extraAllow: [])
        for path in paths {
            let reply = try client.get(url: base + path)
            XCTAssertEqual(reply.status, 403, path)
            XCTAssertNil(reply.header("X-ThreePay-Errcode"), "\(path) reached ThreePay")
        }
    }

    func testAllowedNetworksReachThePageAndThePicture() throws {
        let base = try start(extraAllow: ["127.0.0.0/8"])
        for path in paths {
            let reply = try client.get(url: base + path)
            XCTAssertNotNil(reply.header("X-ThreePay-Errcode"), "\(path) did not reach ThreePay: \(reply.status)")
            XCTAssertNotEqual(reply.status, 403, path)
        }
    }

    private func start(extraAllow: [String]) throws -> String {
        let snippet = try String(
            contentsOf: TestStack.packageRoot.appendingPathComponent("nginx/threepay-location.conf"), encoding: .utf8)
        let rendered = try SecurityAllowList.render(snippet, socket: SecurityStack.responderSocket, extraAllow: extraAllow)
        let started = try SecurityNginx(locations: rendered)
        nginx = started
        return started.baseURL
    }
}
