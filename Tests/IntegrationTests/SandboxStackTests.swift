import Alipay
import CivilTime
import CurlClient
import Foundation
import RSASigning
import SandboxGateway
import TestSupport
import XCTest

/// The sandbox as the stack runs it: behind nginx at `/gateway.do` and `/sandbox/`, signing with the
/// stack's generated keys, sending notifications with libcurl.
final class SandboxStackTests: XCTestCase {
    private var merchantKey: RSAPrivateKey!
    private var alipayPublicKey: RSAPublicKey!

    override func setUpWithError() throws {
        let keys = URL(fileURLWithPath: TestStack.stateDir).appendingPathComponent("keys")
        merchantKey = try RSAPrivateKey(text: String(contentsOf: keys.appendingPathComponent("app_private.pem"),
                                                     encoding: .utf8))
        alipayPublicKey = try RSAPublicKey(text: String(
            contentsOf: keys.appendingPathComponent("sandbox_alipay_public.pem"), encoding: .utf8))
    }

    override func tearDown() async throws {
        // Faults are shared by everything using the stack: always leave none behind.
        _ = try await StackSandbox.run { try $0.resetFaults() }
    }

    func testSignedPrecreateThroughNginx() async throws {
        let number = Self.uniqueNumber()
        let answer = try await call("alipay.trade.precreate",
                                    #"{"out_trade_no":"\#(number)","total_amount":"0.01","subject":"沙箱"}"#)
        XCTAssertEqual(answer.code, "10000")
        XCTAssertTrue(answer.signatureValid, "signed with the stack's sandbox Alipay key")
        XCTAssertTrue(try XCTUnwrap(answer["qr_code"]).hasPrefix("https://qr.alipay.com/bax0"))
        let trade = try await HTTP.get("/sandbox/trades/\(number)")
        XCTAssertEqual(trade.status, 200)
        XCTAssertEqual(try trade.json()["status"] as? String, "CREATED")
    }

    func testResetFaultBecomesAnNginx502AfterApplying() async throws {
        let number = Self.uniqueNumber()
        try await setFaults(#"{"mode":"reset","applied":true,"count":1}"#)
        let reply = try await post("alipay.trade.precreate",
                                   #"{"out_trade_no":"\#(number)","total_amount":"1.00","subject":"s"}"#)
        XCTAssertEqual(reply.status, 502)
        // nginx itself answers, with ThreePay's 4003 envelope: the stack serves the sandbox in ThreePay's server.
        XCTAssertTrue(reply.text.hasPrefix(#"{"errcode":4003,"#), "nginx itself answers: \(reply.text)")
        let trade = try await HTTP.get("/sandbox/trades/\(number)")
        XCTAssertEqual(trade.status, 200, "applied before failing")
    }

    func testNotificationReachesAMerchantThroughCurlAndVerifies() async throws {
        let number = Self.uniqueNumber()
        let sink = TestStack.baseURL + "/sandbox/sink"
        let answer = try await call("alipay.trade.precreate",
                                    #"{"out_trade_no":"\#(number)","total_amount":"3.21","subject":"通知"}"#,
                                    notifyURL: sink)
        XCTAssertEqual(answer.code, "10000")
        let pay = try await HTTP.post("/sandbox/pay", Array("out_trade_no=\(number)".utf8),
                                      contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(pay.status, 200, pay.text)

        let body = try await waitForSinkBody(containing: number)
        let fields = try AlipayNotification.verify(formBody: Array(body.utf8), alipayPublicKey: alipayPublicKey,
                                                   expectedAppID: try appID())
        XCTAssertEqual(fields["out_trade_no"], number)
        XCTAssertEqual(fields["total_amount"], "3.21")
        XCTAssertEqual(fields["trade_status"], "TRADE_SUCCESS")
        let log = try await HTTP.get("/sandbox/notifications?out_trade_no=\(number)")
        let attempts = try XCTUnwrap(try log.json()["notifications"] as? [[String: Any]])
        XCTAssertEqual(attempts.first?["delivered"] as? Bool, true)
        XCTAssertEqual(attempts.first?["status_code"] as? Int, 200)
    }

    func test256ConcurrentCallsAreAllHeldAtOnceNotQueued() async throws {
        // Every call draws one hang of a budget of 256 on arrival and is held until the faults are reset. Once
        // the budget is used up, all 256 calls are inside the sandbox at the same moment: none waits in a
        // queue behind too few workers (a pool of 64 would hold 64 and leave the budget at 192).
        try await setFaults(#"{"mode":"hang","count":256,"hang_ms":3600000}"#)
        let answered = SharedCounter()
        async let statuses = withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<256 {
                group.addTask {
                    let status = try await HTTP.post("/gateway.do").status
                    answered.increment()
                    return status
                }
            }
            var all: [Int] = []
            for try await status in group { all.append(status) }
            return all
        }
        try await Poll.eventually("all 256 calls held by the sandbox", seconds: 60, every: 0.1) {
            try await StackSandbox.run { try $0.faults() }["count"] == "0"
        }
        XCTAssertEqual(answered.value, 0, "no call was answered before the last one arrived")
        try await StackSandbox.run { sandbox in
            try sandbox.resetFaults(until: "the 256 calls answered", seconds: 60) { answered.value == 256 }
        }
        let all = try await statuses
        XCTAssertEqual(all.count, 256)
        XCTAssertEqual(Set(all), [200])
    }

    // MARK: Helpers

    private static func uniqueNumber() -> String {
        "SBX\(Int(Date().timeIntervalSince1970 * 1000))\(Int.random(in: 1000...9999))"
    }

    private func appID() throws -> String {
        TestStack.environment["THREEPAY_SANDBOX_APP_ID"] ?? TestStack.environment["THREEPAY_ALIPAY_APP_ID"]
            ?? "2021000000000001"
    }

    private func setFaults(_ json: String) async throws {
        let reply = try await HTTP.post("/sandbox/faults", Array(json.utf8), contentType: "application/json")
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    private func post(_ method: String, _ biz: String, notifyURL: String? = nil) async throws -> HTTPReply {
        var params = [
            "app_id": try appID(), "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
            "timestamp": CivilTimeText.china.format(Date()), "version": "1.0", "biz_content": biz,
        ]
        if let notifyURL { params["notify_url"] = notifyURL }
        params["sign"] = try AlipaySigner(privateKey: merchantKey).sign(params)
        let query = FormDecoding.encode(params.filter { $0.key != "biz_content" }.map { ($0.key, $0.value) })
        return try await HTTP.post("/gateway.do?" + query, Array(FormDecoding.encode([("biz_content", biz)]).utf8),
                                   contentType: "application/x-www-form-urlencoded;charset=utf-8")
    }

    private func call(_ method: String, _ biz: String, notifyURL: String? = nil) async throws -> SandboxAnswer {
        let reply = try await post(method, biz, notifyURL: notifyURL)
        XCTAssertEqual(reply.status, 200)
        return try SandboxAnswer(reply.body, method: method, alipayPublicKey: alipayPublicKey)
    }

    private func waitForSinkBody(containing number: String) async throws -> String {
        try await Poll.eventualValue("a notification for \(number) at /sandbox/sink", seconds: 30) {
            try await StackSandbox.run { try $0.sink() }.first { $0.body.contains(number) }?.body
        }
    }
}
