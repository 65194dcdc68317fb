import Foundation
import TestSupport
import XCTest

/// A voided QR code can never be paid, also when it was never scanned; and requests racing for one bill take
/// turns: each is answered a QR code or 2004, a bill never has two payable trades, no record ends QR_FAILED.
final class LifecycleVoidAndRaceTests: LifecycleTestCase {
    func testAChangedAmountBeforeAnyScanMakesTheOldCodeUnpayable() async throws {
        let database = try StackDatabase()
        let bill = LifecycleBill.next("LV", billtype: "2", amount: "7.00")
        let first = try await LifecycleAPI.issue(bill, database)
        let changed = LifecycleBill(billnum: bill.billnum, billtype: bill.billtype, amount: "8.00", cardno: nil)
        let second = try await LifecycleAPI.issue(changed, database)
        XCTAssertNotEqual(second.outTradeNo, first.outTradeNo)
        XCTAssertEqual(try database.record(autoid: first.autoid)?["status"], "CLOSED")

        // The buyer still holds the 7.00 code (never scanned): Alipay must refuse it.
        let late = try await StackSandbox.run { try $0.pay(first.outTradeNo) }
        XCTAssertEqual(late.status, 409, "the old code is unpayable: \(late.text)")
        let old = try await StackSandbox.run { try $0.trade(first.outTradeNo) }
        XCTAssertEqual(old?["status"], "TRADE_CLOSED")
        try assertNotPaid(first, database, status: "CLOSED")
        // The new code is the one that pays.
        let paid = try await StackSandbox.run { try $0.pay(second.outTradeNo) }
        XCTAssertEqual(paid.status, 200, paid.text)
        try await Poll.eventually("the 8.00 payment recorded", seconds: 30) {
            try database.record(autoid: second.autoid)?["status"] == "PAID"
        }
    }

    func testCancelBeforeAnyScanMakesTheCodeUnpayable() async throws {
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("LV", billtype: "5", amount: "3.30"), database)
        let answer = try await LifecycleAPI.cancel(payment.bill)
        XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "")
        XCTAssertEqual(answer.tag["status"], "closed")
        let late = try await StackSandbox.run { try $0.pay(payment.outTradeNo) }
        XCTAssertEqual(late.status, 409, "a cancelled code cannot be paid: \(late.text)")
        try assertNotPaid(payment, database, status: "CLOSED")
    }

    func testAHundredRequestsForOneBillWithTwoAmountsTakeTurns() async throws {
        let database = try StackDatabase()
        let bill = LifecycleBill.next("LR", billtype: "6", amount: "1.00")
        let answers = try await withThrowingTaskGroup(of: LifecycleEnvelope.self) { group in
            for index in 0..<100 {
                let amount = index.isMultiple(of: 2) ? "1.00" : "2.00"
                let copy = LifecycleBill(billnum: bill.billnum, billtype: bill.billtype, amount: amount, cardno: nil)
                group.addTask { try await LifecycleAPI.scanCode(copy) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var counts: [Int: Int] = [:]
        for answer in answers { counts[answer.errcode, default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys).subtracting([0, 2004]), [], "only QR codes or 'send again': \(counts)")
        XCTAssertGreaterThan(counts[0] ?? 0, 0, "\(counts)")
        for answer in answers where answer.errcode != 0 {
            XCTAssertTrue(answer.errmsg?.contains("send the same bill again") == true, answer.errmsg ?? "")
        }

        let records = try database.records(billtype: bill.billtype, billnum: bill.billnum)
        XCTAssertFalse(records.contains { $0["status"] == "QR_FAILED" }, "no record refused: \(records)")
        XCTAssertEqual(records.filter { ["INITIATED", "QR_ISSUED", "UNKNOWN"].contains($0["status"]) }.count, 1,
                       "one payable record: \(records.map { $0["status"] ?? "-" })")
        var payable: [String] = []
        for record in records {
            guard let number = record["out_trade_no"] else { continue }
            let trade = try await StackSandbox.run { try $0.trade(number) }
            if let status = trade?["status"], status != "TRADE_CLOSED" { payable.append(number) }
        }
        XCTAssertEqual(payable.count, 1, "one payable trade at Alipay: \(payable)")
        // Every successful answer handed out a code of this bill, and the last one is the payable one.
        XCTAssertTrue(answers.filter { $0.errcode == 0 }.allSatisfy { $0.tag["billnum"] == bill.billnum })
    }
}
