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
///
/// The ScanCode goes to a responder of the test's own (`TestResponder`) with a gateway timeout longer than the
/// test, so that the sandbox can hold the precreate answer until the test lets it go: the order of events, not
/// a time window, decides what the test sees.
final class LifecycleRaceTests: LifecycleTestCase {
    func testNotificationBeforeThePrecreateAnswerIsRecordedOnce() async throws {
        let responder = try await TestResponder.start(["THREEPAY_ALIPAY_TIMEOUT": "60000"])
        defer { responder.stop() }
        let database = try StackDatabase()
        let bill = LifecycleBill.next("LR", billtype: "5", amount: "6.66")
        // The sandbox books the trade, then holds its answer back until the faults are reset: one hung reply,
        // the precreate.
        try await StackSandbox.run { try $0.setFaults(["mode": "hang", "applied": true, "count": 1, "hang_ms": 3_600_000]) }
        let events = EventLog()
        async let scanAnswer = {
            let answer = try await LifecycleAPI.scanCode(bill, through: TestResponder.prefix)
            events.record("ScanCode answered")
            return answer
        }()

        let outTradeNo = try await Poll.eventualValue("the record and the sandbox trade", seconds: 30) { () async throws -> String? in
            guard let record = try database.records(billtype: bill.billtype, billnum: bill.billnum).last,
                  let number = record["out_trade_no"], try await StackSandbox.run({ try $0.trade(number) }) != nil
            else { return nil }
            return number
        }
        let beforePay = try XCTUnwrap(try database.records(billtype: bill.billtype, billnum: bill.billnum).last)
        XCTAssertEqual(beforePay["status"], "INITIATED", "the precreate answer has not been recorded")
        let paid = try await StackSandbox.run { try $0.pay(outTradeNo) }
        XCTAssertEqual(paid.status, 200, paid.text)

        try await Poll.eventually("the notification was acknowledged", seconds: 30, every: 0.05) {
            try await StackSandbox.run { try $0.notifications(outTradeNo) }.contains(where: \.delivered)
        }
        events.record("notification acknowledged")
        XCTAssertEqual(events.entries, ["notification acknowledged"], "the notification came while ScanCode waited")
        let duringWait = try XCTUnwrap(try database.records(billtype: bill.billtype, billnum: bill.billnum).last)
        XCTAssertEqual(duringWait["status"], "PAID", "recorded from the notification, before the precreate answer")

        events.record("precreate answer released")
        try await StackSandbox.run { sandbox in
            try sandbox.resetFaults(until: "ScanCode answered") { events.entries.contains("ScanCode answered") }
        }
        let answer = try await scanAnswer
        XCTAssertEqual(events.entries, ["notification acknowledged", "precreate answer released", "ScanCode answered"],
                       "ScanCode really waited for the held precreate answer")
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
