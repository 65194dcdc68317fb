import Foundation
import TestSupport
import XCTest

/// The payment notification arrives before ThreePay has recorded the precreate answer (Alipay was slow to
/// answer, the buyer fast to pay).
///
/// ThreePay's answer in this case: ScanCode answers errcode 2001 ("already paid"). The notification
/// records the payment on the INITIATED record; when the precreate answer arrives, recording the QR code
/// is refused because the record is PAID, and that refusal becomes the answer. The test accepts 0 or
/// 2001 (both are correct for a client) and checks the payment is recorded exactly once either way.
final class LifecycleRaceTests: LifecycleTestCase {
    func testNotificationBeforeThePrecreateAnswerIsRecordedOnce() async throws {
        let database = try StackDatabase()
        let bill = LifecycleBill.next("LR", billtype: "5", amount: "6.66")
        // The sandbox books the trade, then holds its answer back: one hung reply, the precreate.
        // The hang stays below the test stack's gateway timeout (THREEPAY_ALIPAY_TIMEOUT=3000 in scripts/test.sh).
        try await StackSandbox.run { try $0.setFaults(["mode": "hang", "applied": true, "count": 1, "hang_ms": 2700]) }
        let started = Date()
        async let scanAnswer = LifecycleAPI.scanCode(bill)

        var outTradeNo = ""
        try await Poll.eventually("the record and the sandbox trade exist", seconds: 30, every: 0.05) {
            guard let record = try database.records(billtype: bill.billtype, billnum: bill.billnum).last,
                  let number = record["out_trade_no"]
            else { return false }
            outTradeNo = number
            return try await StackSandbox.run { try $0.trade(number) } != nil
        }
        let beforePay = try XCTUnwrap(try database.records(billtype: bill.billtype, billnum: bill.billnum).last)
        XCTAssertEqual(beforePay["status"], "INITIATED", "the precreate answer has not been recorded")
        let number = outTradeNo
        let paid = try await StackSandbox.run { try $0.pay(number) }
        XCTAssertEqual(paid.status, 200, paid.text)

        try await Poll.eventually("the notification was acknowledged", seconds: 30, every: 0.05) {
            try await StackSandbox.run { try $0.notifications(number) }.contains(where: \.delivered)
        }
        let notifiedAt = Date()
        XCTAssertLessThan(notifiedAt.timeIntervalSince(started), 2.65, "the notification came while ScanCode waited")
        let duringWait = try XCTUnwrap(try database.records(billtype: bill.billtype, billnum: bill.billnum).last)
        XCTAssertEqual(duringWait["status"], "PAID", "recorded from the notification, before the precreate answer")

        let answer = try await scanAnswer
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 2.2, "ScanCode really waited for the hung answer")
        XCTAssertTrue([0, 2001].contains(answer.errcode), "errcode \(answer.errcode) \(answer.errmsg ?? "")")
        print("LifecycleRaceTests: ScanCode answered errcode \(answer.errcode) (\(answer.errmsg ?? "")) after the notification")
        XCTAssertEqual(answer.tag["billnum"], bill.billnum)

        let records = try database.records(billtype: bill.billtype, billnum: bill.billnum)
        XCTAssertEqual(records.count, 1, "one record: \(records.map { $0["status"] ?? "?" })")
        let autoid = try XCTUnwrap(records.first?["autoid"].flatMap { Int64($0) })
        let payment = LifecycleIssued(bill: bill, autoid: autoid, outTradeNo: outTradeNo)
        try await assertPaidOnce(payment, database, source: "notify")
        try await assertQueryPaid(payment)

        // The bill is paid: asking for its QR code again answers "already paid" and creates nothing.
        let again = try await LifecycleAPI.scanCode(bill)
        XCTAssertEqual(again.errcode, 2001, again.errmsg ?? "")
        XCTAssertEqual(try database.records(billtype: bill.billtype, billnum: bill.billnum).count, 1)
    }
}
