import Alipay
import Foundation
import SandboxGateway
import Synchronization
import TestSupport
import XCTest

/// Payment notifications: content, signature (checked with the Alipay module's verifier) and resends.
final class SandboxNotificationTests: XCTestCase {
    private var sandbox: SandboxHarness!

    override func setUpWithError() throws {
        sandbox = try SandboxHarness()
    }

    func testNotificationVerifiesWithTheSandboxPublicKey() throws {
        _ = try sandbox.call(
            "alipay.trade.precreate",
            #"{"out_trade_no":"N1","total_amount":"88.88","subject":"测试商品 a&b=c+d/e","store_id":"NJ_001"}"#)
        sandbox.controlAction("pay", "out_trade_no=N1&notify=0")
        let trade = try XCTUnwrap(sandbox.book.trade(outTradeNo: "N1", now: sandbox.clock.now))
        let job = try XCTUnwrap(try sandbox.notificationBuilder.job(for: trade, at: sandbox.clock.now))
        XCTAssertEqual(job.url, "http://127.0.0.1:1/notify")

        let fields = try AlipayNotification.verify(formBody: job.body, alipayPublicKey: sandbox.keys.alipay.publicKey,
                                                   expectedAppID: SandboxHarness.appID)
        XCTAssertEqual(fields["trade_status"], "TRADE_SUCCESS")
        XCTAssertEqual(fields["out_trade_no"], "N1")
        XCTAssertEqual(fields["trade_no"], trade.tradeNo)
        XCTAssertEqual(fields["total_amount"], "88.88")
        XCTAssertEqual(fields["receipt_amount"], "88.88")
        XCTAssertEqual(fields["subject"], "测试商品 a&b=c+d/e")
        XCTAssertEqual(fields["seller_id"], SandboxHarness.sellerID)
        XCTAssertEqual(fields["notify_type"], "trade_status_sync")
        XCTAssertEqual(fields["auth_app_id"], SandboxHarness.appID)
        XCTAssertEqual(fields["notify_id"], job.notifyID)
        XCTAssertEqual(fields["fund_bill_list"], #"[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]"#)
        for name in ["notify_time", "charset", "version", "buyer_pay_amount", "invoice_amount", "point_amount",
                     "buyer_id", "buyer_logon_id", "gmt_create", "gmt_payment"] {
            XCTAssertNotNil(fields[name], name)
        }
    }

    func testTamperedNotificationFailsVerification() throws {
        _ = try sandbox.precreate("N2", amount: "1.00")
        sandbox.controlAction("pay", "out_trade_no=N2&notify=0")
        let trade = try XCTUnwrap(sandbox.book.trade(outTradeNo: "N2", now: sandbox.clock.now))
        let job = try XCTUnwrap(try sandbox.notificationBuilder.job(for: trade, at: sandbox.clock.now))
        let tampered = String(decoding: job.body, as: UTF8.self).replacingOccurrences(of: "total_amount=1.00",
                                                                                       with: "total_amount=0.01")
        XCTAssertNotEqual(tampered, String(decoding: job.body, as: UTF8.self))
        XCTAssertThrowsError(try AlipayNotification.verify(
            formBody: Array(tampered.utf8), alipayPublicKey: sandbox.keys.alipay.publicKey,
            expectedAppID: SandboxHarness.appID))
    }

    func testNotifierResendsUntilTheMerchantAnswersSuccess() throws {
        let merchant = ScriptedMerchant(replies: [(500, "error"), (200, "fail"), (200, "success")])
        let notifier = Notifier(schedule: [0.05, 0.05, 0.05], log: sandbox.log) { merchant }
        notifier.start(threads: 2)
        defer { notifier.stop() }
        _ = try sandbox.precreate("N3")
        let reply = sandbox.controlAction("pay", "out_trade_no=N3", notifier: notifier)
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(String(decoding: reply.body, as: UTF8.self).contains("queued"))

        try Poll.until("N3 delivered", seconds: 30, every: 0.01) { self.sandbox.log.entries(outTradeNo: "N3").contains(where: \.delivered) }
        let attempts = sandbox.log.entries(outTradeNo: "N3")
        XCTAssertEqual(attempts.map(\.attempt), [1, 2, 3])
        XCTAssertEqual(attempts.map(\.httpStatus), [500, 200, 200])
        XCTAssertEqual(attempts.map(\.delivered), [false, false, true])
        XCTAssertEqual(merchant.bodies.count, 3)
        XCTAssertEqual(Set(merchant.bodies).count, 1, "resends repeat the same signed notification")
    }

    func testNotifierGivesUpAfterTheSchedule() throws {
        let merchant = ScriptedMerchant(replies: [])
        let notifier = Notifier(schedule: [0.02], log: sandbox.log) { merchant }
        notifier.start(threads: 1)
        defer { notifier.stop() }
        _ = try sandbox.precreate("N4")
        sandbox.controlAction("pay", "out_trade_no=N4", notifier: notifier)
        try Poll.until("N4 given up", seconds: 30, every: 0.01) { self.sandbox.log.entries(outTradeNo: "N4").contains(where: \.gaveUp) }
        let attempts = sandbox.log.entries(outTradeNo: "N4")
        XCTAssertEqual(attempts.count, 2)
        XCTAssertEqual(attempts.last?.replySnippet, "SUCCESS", "only the exact lower-case word counts")
    }

    func testPayWithNotifyZeroSendsNothing() throws {
        let merchant = ScriptedMerchant(replies: [(200, "success"), (200, "success")])
        let notifier = Notifier(schedule: [], log: sandbox.log) { merchant }
        notifier.start(threads: 1)
        defer { notifier.stop() }
        _ = try sandbox.precreate("N5")
        let reply = sandbox.controlAction("pay", "out_trade_no=N5&notify=0", notifier: notifier)
        XCTAssertTrue(String(decoding: reply.body, as: UTF8.self).contains("skipped"))
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "N5", now: sandbox.clock.now)?.status, .success)

        // A trade paid afterwards with its notification: the one sender thread takes notifications in the
        // order they were queued, so once this one has been delivered, one for N5 would have been sent first.
        _ = try sandbox.precreate("N5b")
        sandbox.controlAction("pay", "out_trade_no=N5b", notifier: notifier)
        try Poll.until("N5b delivered", seconds: 30, every: 0.01) {
            self.sandbox.log.entries(outTradeNo: "N5b").contains(where: \.delivered)
        }
        XCTAssertEqual(merchant.bodies.count, 1, "only the later trade was notified")
        XCTAssertTrue(merchant.bodies.first?.contains("out_trade_no=N5b") ?? false, merchant.bodies.first ?? "")
        XCTAssertEqual(sandbox.log.entries(outTradeNo: "N5").count, 0)
    }
}

/// A merchant endpoint that answers from a script (then `SUCCESS`, which is not the magic word).
final class ScriptedMerchant: NotificationTransport, @unchecked Sendable {
    private let state: Mutex<(replies: [(Int, String)], bodies: [String])>

    init(replies: [(Int, String)]) {
        state = Mutex((replies, []))
    }

    var bodies: [String] { state.withLock { $0.bodies } }

    func post(url: String, formBody: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        state.withLock { state in
            state.bodies.append(String(decoding: formBody, as: UTF8.self))
            let reply = state.replies.isEmpty ? (200, "SUCCESS") : state.replies.removeFirst()
            return (reply.0, Array(reply.1.utf8))
        }
    }
}
