import Foundation
import TestSupport
import XCTest

/// `POST api/3Pay/AliPay/Cancel`: an unpaid bill's QR code is voided at Alipay and can no longer be paid;
/// a paid bill is not voided (2001), also when the payment was not recorded yet.
final class LifecycleCancelTests: LifecycleTestCase {
    func testCancelClosesAnUnpaidBillAndItCanNoLongerBePaid() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LC", billtype: "1", amount: "4.56"), database)
        let scanned = try await StackSandbox.run { try $0.scan(payment.outTradeNo) }
        XCTAssertEqual(scanned.status, 200, "the buyer has the QR code open: \(scanned.text)")

        let answer = try await LifecycleAPI.cancel(payment.bill)
        XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "")
        XCTAssertEqual(answer.tag["status"], "closed")
        XCTAssertEqual(answer.tag["autoid"], String(payment.autoid))
        XCTAssertNil(answer.tag["codeurl"], "a voided bill hands out no QR code")
        XCTAssertEqual(try database.record(autoid: payment.autoid)?["status"], "CLOSED")
        let trade = try await StackSandbox.run { try $0.trade(payment.outTradeNo) }
        XCTAssertEqual(trade?["status"], "TRADE_CLOSED", "closed at Alipay")

        let late = try await StackSandbox.run { try $0.pay(payment.outTradeNo) }
        XCTAssertEqual(late.status, 409, "the sandbox refuses to pay a closed trade: \(late.text)")
        try assertNotPaid(payment, database, status: "CLOSED")

        // Cancelling again is harmless; Query agrees.
        let again = try await LifecycleAPI.cancel(payment.bill)
        XCTAssertEqual(again.errcode, 0, again.errmsg ?? "")
        XCTAssertEqual(again.tag["status"], "closed")
        let query = try await LifecycleAPI.query(autoid: payment.autoid)
        XCTAssertEqual(query.tag["status"], "closed")
    }

    func testCancelOfAPaidBillAnswersAlreadyPaid() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LC", billtype: "2", amount: "7.89"), database)
        _ = try await StackSandbox.run { try $0.pay(payment.outTradeNo) }
        try await Poll.eventually("record PAID", seconds: 30) {
            try database.record(autoid: payment.autoid)?["status"] == "PAID"
        }

        let answer = try await LifecycleAPI.cancel(payment.bill)
        XCTAssertEqual(answer.errcode, 2001, answer.errmsg ?? "")
        XCTAssertEqual(answer.tag["status"], "paid")
        let trade = try await StackSandbox.run { try $0.trade(payment.outTradeNo) }
        XCTAssertEqual(trade?["status"], "TRADE_SUCCESS", "the payment stands at Alipay")
        try await assertPaidOnce(payment, database, source: "notify")
    }

    func testCancelOfABillPaidButNotYetRecordedRecordsThePayment() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LC", billtype: "3", amount: "9.99"), database)
        _ = try await StackSandbox.run { try $0.pay(payment.outTradeNo, notify: false) }
        try assertNotPaid(payment, database)

        // Alipay refuses to close a paid trade; ThreePay learns the payment instead of losing it.
        let answer = try await LifecycleAPI.cancel(payment.bill)
        XCTAssertEqual(answer.errcode, 2001, answer.errmsg ?? "")
        XCTAssertEqual(answer.tag["status"], "paid")
        try await assertPaidOnce(payment, database, source: "query")
        try await assertQueryPaid(payment)
    }
}
