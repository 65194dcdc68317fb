import CurlClient
import Foundation
import TestSupport
import XCTest

/// Security review: "The API endpoints can be limited to the business systems' networks by the shipped nginx
/// snippet." The snippet is read from the repository and its commented `allow`/`deny` lines are switched on, as
/// an operator would; an nginx of the test's own serves it in front of the stack's responder.
final class SecurityNginxAllowListTests: XCTestCase {
    private var nginx: SecurityNginx?
    private var client: StackClient!
    private var database: StackDatabase!

    override func setUpWithError() throws {
        try super.setUpWithError()
        client = try StackClient(timeoutMilliseconds: 30_000)
        database = try StackDatabase()
    }

    override func tearDown() {
        nginx?.stop()
        nginx = nil
        client = nil
        database = nil
        super.tearDown()
    }

    /// The shipped lines as they are (10.0.0.0/8, 192.168.0.0/16, deny all): a loopback caller is refused the
    /// API by nginx itself and nothing is recorded, while Alipay's notifications still reach ThreePay.
    func testShippedAllowListRefusesOtherNetworksButNotNotifications() throws {
        let base = try start(extraAllow: [])
        let billnum = ScanCodeBillNumbers.next("acl")
        let refused = try client.post(base + scanCodePath, bill(billnum), contentType: "application/json")
        assertRefusedByNginx(refused, "ScanCode")
        for path in [
            "/api/3pay/alipay/scancode", "/API/3PAY/ALIPAY/SCANCODE", "/api/3Pay/AliPay/Notify/../ScanCode",
            "/api/3Pay/AliPay/Notify%2F..%2FScanCode", "/api/3Pay/AliPay/NotifyScanCode", "/api/3Pay/AliPay/Notify/",
        ] {
            let reply = try client.post(base + path, bill(billnum), contentType: "application/json")
            assertRefusedByNginx(reply, path)
        }
        assertRefusedByNginx(try client.get(base + "/api/3Pay/health"), "health")
        assertRefusedByNginx(try client.get(base + "/api/3Pay/AliPay/Query?autoid=1"), "Query")
        for path in cashierScreenPaths { assertRefusedByNginx(try client.get(base + path), path) }
        XCTAssertEqual(try database.count(billnums: [billnum]), 0, "a refused ScanCode wrote a record")

        assertReachesNotify(base)
    }

    /// The same lines with the loopback network allowed: ScanCode, health and notifications reach ThreePay.
    func testAllowListIncludingTheCallerReachesTheResponder() throws {
        let base = try start(extraAllow: ["127.0.0.0/8"])
        let billnum = ScanCodeBillNumbers.next("acl")
        let reply = try client.post(base + scanCodePath, bill(billnum), contentType: "application/json")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.errcode, 0, reply.text)
        XCTAssertEqual(try database.count(billnums: [billnum]), 1)
        let health = try client.get(base + "/api/3Pay/health")
        XCTAssertEqual(health.status, 200, health.text)
        XCTAssertEqual(health.errcode, 0)
        for path in cashierScreenPaths {
            let screen = try client.get(base + path)
            XCTAssertNotNil(screen.header("X-ThreePay-Errcode"), "\(path) did not reach ThreePay: \(screen.status)")
        }
        assertReachesNotify(base)
    }

    // MARK: Helpers

    /// The cashier page, its icon and the QR picture: for the merchant's screens, under the same list.
    private let cashierScreenPaths = [
        "/api/3Pay/AliPay/Cashier?autoid=1", "/api/3pay/alipay/cashier?autoid=1", "/api/3Pay/AliPay/CashierIcon",
        "/api/3Pay/AliPay/QR?autoid=1", "/API/3PAY/ALIPAY/QR?autoid=1&format=svg",
    ]

    /// Renders the shipped snippet and starts an nginx with it; returns its base URL.
    private func start(extraAllow: [String]) throws -> String {
        let snippet = try String(
            contentsOf: TestStack.packageRoot.appendingPathComponent("nginx/threepay-location.conf"), encoding: .utf8)
        let rendered = try SecurityAllowList.render(snippet, socket: SecurityStack.responderSocket, extraAllow: extraAllow)
        let started = try SecurityNginx(locations: rendered)
        nginx = started
        return started.baseURL
    }

    private func bill(_ billnum: String) -> [UInt8] {
        ScanCodeBill.valid(billnum).json()
    }

    private func assertRefusedByNginx(_ reply: HTTPReply, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, 403, "\(what): \(reply.text)", file: file, line: line)
        XCTAssertNil(reply.header("X-ThreePay-Errcode"), "\(what) reached ThreePay", file: file, line: line)
        XCTAssertTrue(reply.text.contains("403 Forbidden"), "\(what): not nginx's page: \(reply.text)", file: file, line: line)
    }

    /// An unsigned notification is ThreePay's to refuse: its own `fail` (HTTP 400), not nginx's 403.
    private func assertReachesNotify(_ base: String, file: StaticString = #filePath, line: UInt = #line) {
        for path in ["/api/3Pay/AliPay/Notify", "/api/3pay/alipay/notify"] {
            do {
                let reply = try client.post(base + path, Array("a=b".utf8), contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(reply.status, 400, "\(path): \(reply.text)", file: file, line: line)
                XCTAssertEqual(reply.text, "fail", path, file: file, line: line)
            } catch {
                XCTFail("\(path): \(error)", file: file, line: line)
            }
        }
    }
}

/// Switches on the commented access lines of the shipped snippet, as its comments tell an operator to.
enum SecurityAllowList {
    /// Uncomments every `# allow …;` and `# deny …;` line of the API location, adding `allow` lines for
    /// `extraAllow` before the `deny`, and points `fastcgi_pass` at `socket`. Throws when the snippet no longer
    /// has the expected lines (two allows and one deny in the API location, none in the notification location),
    /// so the test cannot pass by rendering nothing.
    static func render(_ snippet: String, socket: String, extraAllow: [String]) throws -> String {
        var output: [String] = []
        var location = ""
        var allows = 0
        var denies = 0
        for line in snippet.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("location ") { location = trimmed }
            let indent = String(line.prefix { $0 == " " })
            if trimmed.hasPrefix("# allow ") || trimmed.hasPrefix("# deny ") {
                guard location.hasPrefix("location ~* ^/api/3pay/ ") else {
                    throw TestFailure("an access line outside the API location: \(line)")
                }
                if trimmed.hasPrefix("# deny ") {
                    denies += 1
                    output += extraAllow.map { "\(indent)allow \($0);" }
                } else {
                    allows += 1
                }
                output.append(indent + trimmed.dropFirst(2))
            } else {
                output.append(line.replacingOccurrences(of: "unix:/run/threepay/threepay.sock", with: "unix:" + socket))
            }
        }
        guard allows == 2, denies == 1 else {
            throw TestFailure("expected 2 commented allow lines and 1 deny line, found \(allows) and \(denies)")
        }
        let rendered = output.joined(separator: "\n")
        let passes = output.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("fastcgi_pass") }
        guard passes.count == 2, passes.allSatisfy({ $0.contains("unix:" + socket + ";") }) else {
            throw TestFailure("the snippet's fastcgi_pass lines changed: \(rendered)")
        }
        return rendered
    }
}
