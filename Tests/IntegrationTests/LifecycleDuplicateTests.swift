import CurlClient
import Foundation
import TestSupport
import XCTest

/// Duplicate notifications racing each other and Query calls record one payment: one receipt, one
/// card credit, one callback.
final class LifecycleDuplicateTests: LifecycleTestCase {
    func testConcurrentDuplicateNotificationsAndQueriesRecordOnePayment() async throws {
        let database = try StackDatabase()
        let bill = LifecycleBill.next("LD", billtype: "7", amount: "12.34")
        let cardno = try XCTUnwrap(bill.cardno)
        let balanceBefore = try database.cardBalance(cardno)
        XCTAssertNil(balanceBefore, "a fresh card")
        let payment = try await LifecycleAPI.issue(bill, database)
        let paid = try await StackSandbox.run { try $0.pay(payment.outTradeNo, notify: false) }
        XCTAssertEqual(paid.status, 200, paid.text)
        let booked = try await StackSandbox.run { try $0.trade(payment.outTradeNo) }
        let trade = try XCTUnwrap(booked)
        // The genuine notification, signed once and sent ten times at once, as a replaying Alipay would.
        let form = try LifecycleNotification.form(try LifecycleNotification.fields(paid: trade), key: LifecycleNotification.alipayKey())

        enum Outcome: Sendable {
            case resend(HTTPReply)
            case direct(HTTPReply)
            case query(LifecycleEnvelope)
        }
        let autoid = payment.autoid
        let outTradeNo = payment.outTradeNo
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for _ in 0..<10 {
                group.addTask { .resend(try await StackSandbox.run { try $0.resendNotification(outTradeNo) }) }
                group.addTask { .direct(try await LifecycleAPI.notify(form)) }
                group.addTask { .query(try await LifecycleAPI.query(autoid: autoid)) }
            }
            var all: [Outcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        XCTAssertEqual(outcomes.count, 30)
        for outcome in outcomes {
            switch outcome {
            case .resend(let answer):
                XCTAssertEqual(answer.status, 200, answer.text)
                XCTAssertTrue(answer.text.contains("queued"), answer.text)
            case .direct(let answer):
                XCTAssertEqual(answer.status, 200, answer.text)
                XCTAssertEqual(answer.text, "success", "a duplicate is acknowledged, so Alipay stops resending")
            case .query(let envelope):
                XCTAssertEqual(envelope.errcode, 0, envelope.errmsg ?? "")
                // The trade is paid at Alipay already, so every Query learns it (or finds it recorded).
                XCTAssertEqual(envelope.tag["status"], "paid", "\(envelope.tag)")
            }
        }

        try await Poll.eventually("ten sandbox notifications acknowledged", seconds: 30, every: 0.2) {
            let attempts = try await StackSandbox.run { try $0.notifications(outTradeNo) }
            return attempts.filter(\.delivered).count >= 10
        }
        let attempts = try await StackSandbox.run { try $0.notifications(outTradeNo) }
        XCTAssertEqual(attempts.filter(\.delivered).count, 10)
        XCTAssertTrue(attempts.allSatisfy { $0.delivered && $0.reply == "success" }, "every duplicate answered success")

        try await assertPaidOnce(payment, database)
        try await assertQueryPaid(payment)
        XCTAssertEqual(try database.creditCount(autoid: autoid), 1, "one credit journal entry")
        XCTAssertEqual(try database.creditCount(cardno: cardno), 1)
        XCTAssertEqual(try database.cardBalance(cardno), "12.34", "the card grew by the amount, once")

        let callback = try await LifecycleCallbacks.first(autoid: autoid, billnum: bill.billnum)
        try LifecycleCallbacks.assertSigned(callback, database)
        XCTAssertEqual(callback.fields["cardno"], cardno)
        try await Poll.eventually("callback DELIVERED", seconds: 30) {
            try database.outbox(autoid: autoid).first?["status"] == "DELIVERED"
        }
        XCTAssertEqual(try database.outbox(autoid: autoid).count, 1, "one callback in the outbox")
        // The posters claim due callbacks oldest first, so a second delivery of this payment's callback would be
        // under way before a later payment's: the marker's arrival bounds how long to watch for one.
        let marker = try await LifecycleAPI.issue(LifecycleBill.next("LDm", billtype: "2", amount: "1.00"), database)
        let markerPaid = try await StackSandbox.run { try $0.pay(marker.outTradeNo) }
        XCTAssertEqual(markerPaid.status, 200, markerPaid.text)
        _ = try await LifecycleCallbacks.first(autoid: marker.autoid, billnum: marker.bill.billnum)
        let callbacks = try await LifecycleCallbacks.received(autoid: autoid, billnum: bill.billnum)
        XCTAssertEqual(callbacks.count, 1, "one callback for autoid \(autoid)")
    }
}
