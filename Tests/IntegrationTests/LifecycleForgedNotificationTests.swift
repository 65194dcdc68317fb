import Foundation
import XCTest

/// Notifications that are not Alipay's genuine word about the bill change nothing: a forged signature,
/// another app's notification, a different amount. The same construction, unaltered, is accepted, which
/// shows each refusal is for the one thing that was changed.
final class LifecycleForgedNotificationTests: LifecycleTestCase {
    func testForgedWrongAppAndWrongAmountNotificationsChangeNothing() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LF", billtype: "3", amount: "8.88"), database)
        // Paid at the sandbox without a notification: a trade number exists, but ThreePay must not learn of the
        // payment from anything below except the genuine notification at the end.
        _ = try await StackSandbox.run { try $0.pay(payment.outTradeNo, notify: false) }
        let booked = try await StackSandbox.run { try $0.trade(payment.outTradeNo) }
        let trade = try XCTUnwrap(booked)
        let genuine = try LifecycleNotification.fields(paid: trade)
        let alipayKey = try LifecycleNotification.alipayKey()

        var otherApp = genuine
        otherApp["app_id"] = "2021000000009999"
        otherApp["auth_app_id"] = "2021000000009999"
        var lessMoney = genuine
        for name in ["total_amount", "receipt_amount", "buyer_pay_amount", "invoice_amount"] { lessMoney[name] = "0.01" }
        var moreMoney = genuine
        moreMoney["total_amount"] = "88.80"

        let cases: [(String, [UInt8])] = [
            ("garbage signature", try LifecycleNotification.form(genuine, key: nil, sign: "Zm9yZ2VkIHNpZ25hdHVyZQ==")),
            ("signed with a key that is not Alipay's", try LifecycleNotification.form(genuine, key: LifecycleNotification.wrongKey())),
            ("empty signature", try LifecycleNotification.form(genuine, key: nil, sign: "")),
            ("another app_id, properly signed", try LifecycleNotification.form(otherApp, key: alipayKey)),
            ("a smaller amount, properly signed", try LifecycleNotification.form(lessMoney, key: alipayKey)),
            ("a larger total_amount, properly signed", try LifecycleNotification.form(moreMoney, key: alipayKey)),
        ]
        for (name, form) in cases {
            let answer = try await LifecycleAPI.notify(form)
            XCTAssertNotEqual(answer.text, "success", "\(name): must not be acknowledged")
            XCTAssertNotEqual(answer.status, 200, "\(name): \(answer.status) \(answer.text)")
            try assertNotPaid(payment, database)
        }

        // Forged and genuine notifications for a trade ThreePay never issued are refused too.
        var stranger = genuine
        stranger["out_trade_no"] = "TP999999999999" + String(payment.autoid)
        let unknown = try await LifecycleAPI.notify(try LifecycleNotification.form(stranger, key: alipayKey))
        XCTAssertNotEqual(unknown.text, "success")

        // Control: the same construction, unaltered and signed with Alipay's key, is accepted.
        let accepted = try await LifecycleAPI.notify(try LifecycleNotification.form(genuine, key: alipayKey))
        XCTAssertEqual(accepted.status, 200, accepted.text)
        XCTAssertEqual(accepted.text, "success")
        try await assertPaidOnce(payment, database, source: "notify")
        let record = try XCTUnwrap(try database.record(autoid: payment.autoid))
        XCTAssertEqual(record["paid_amount"], "8.88")

        // And after the payment, a notification with another amount still changes nothing.
        let late = try await LifecycleAPI.notify(try LifecycleNotification.form(lessMoney, key: alipayKey))
        XCTAssertNotEqual(late.text, "success")
        try await assertPaidOnce(payment, database, source: "notify")

        // Neither a genuine-looking notification with another trade number nor a close takes the payment back.
        var otherTrade = genuine
        otherTrade["trade_no"] = "2099" + String(payment.autoid)
        let conflicting = try await LifecycleAPI.notify(try LifecycleNotification.form(otherTrade, key: alipayKey))
        XCTAssertNotEqual(conflicting.text, "success", "a second trade number for a paid bill is not acknowledged")
        var closed = genuine
        closed["trade_status"] = "TRADE_CLOSED"
        _ = try await LifecycleAPI.notify(try LifecycleNotification.form(closed, key: alipayKey))
        let after = try await assertPaidOnce(payment, database, source: "notify")
        XCTAssertEqual(after["trade_no"], genuine["trade_no"])
        XCTAssertEqual(try database.outbox(autoid: payment.autoid).count, 1)
    }
}
