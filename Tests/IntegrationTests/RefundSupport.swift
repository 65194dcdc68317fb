import CurlClient
import Foundation
import MariaDB
import TestSupport
import XCTest

/// The Refund endpoint's path behind nginx.
let refundPath = "/api/3Pay/AliPay/Refund"

/// ThreePay's Refund endpoint, in JSON.
enum RefundAPI {
    /// Refunds `value` of the issued bill under `refundno` (by billnum + billtype).
    static func refund(
        _ bill: LifecycleIssued, _ refundno: String, _ value: String, reason: String? = nil
    ) async throws -> LifecycleEnvelope {
        var members: [String: any Sendable] = [
            "billnum": bill.bill.billnum, "billtype": bill.bill.billtype, "refundno": refundno, "refundvalue": value,
        ]
        if let reason { members["reason"] = reason }
        return try await refund(members)
    }

    static func refund(_ members: [String: any Sendable], through prefix: String = "") async throws -> LifecycleEnvelope {
        try LifecycleEnvelope(await HTTP.postJSON(prefix + refundPath, members))
    }

    /// Sends the refund until it is no longer answered 2004 (busy) or 3002 (pending); returns that answer and
    /// the ones before it.
    static func refundUntilSettled(
        _ bill: LifecycleIssued, _ refundno: String, _ value: String, seconds: Double = 60
    ) async throws -> [LifecycleEnvelope] {
        var answers: [LifecycleEnvelope] = []
        try await Poll.eventually("refund \(refundno) of \(bill.bill.billnum) settled", seconds: seconds, every: 0.2) {
            let answer = try await refund(bill, refundno, value)
            answers.append(answer)
            return ![2004, 3002].contains(answer.errcode)
        }
        return answers
    }
}

/// Paid bills for the refund tests.
enum RefundBills {
    /// A bill issued, paid by the sandbox's buyer and recorded PAID from the notification.
    static func paid(
        _ tag: String, billtype: String = "2", amount: String = "10.00", cardno: String? = nil,
        _ database: StackDatabase
    ) async throws -> LifecycleIssued {
        let issued = try await LifecycleAPI.issue(LifecycleBill.next(tag, billtype: billtype, amount: amount,
                                                                     cardno: cardno), database)
        let paid = try await StackSandbox.run { try $0.pay(issued.outTradeNo) }
        guard paid.status == 200 else { throw TestFailure("the sandbox did not pay: \(paid.status) \(paid.text)") }
        try await Poll.eventually("record \(issued.autoid) PAID", seconds: 30) {
            try database.record(autoid: issued.autoid)?["status"] == "PAID"
        }
        return issued
    }

    /// A second responder that gives Alipay the sandbox's sink as notify_url: ThreePay hears of what happens to
    /// the trades it issues only by asking. Stop it when the test ends.
    static func responderNotifyingElsewhere() async throws -> TestResponder {
        try await TestResponder.start(["THREEPAY_ALIPAY_NOTIFY_URL": TestStack.baseURL + "/sandbox/sink"])
    }

    /// A bill issued through `responderNotifyingElsewhere()`'s responder, its trade's notify_url the sink.
    static func issuedNotifyingElsewhere(
        _ tag: String, billtype: String, amount: String, _ database: StackDatabase
    ) async throws -> LifecycleIssued {
        let bill = LifecycleBill.next(tag, billtype: billtype, amount: amount)
        let answer = try LifecycleEnvelope(await HTTP.postJSON(TestResponder.prefix + scanCodePath, bill.json))
        guard answer.errcode == 0 else { throw TestFailure("ScanCode answered \(answer.errcode): \(answer.errmsg ?? "")") }
        guard let autoid = answer.tag["autoid"].flatMap({ Int64($0) }),
              let outTradeNo = try database.record(autoid: autoid)?["out_trade_no"]
        else { throw TestFailure("ScanCode answered no record") }
        return LifecycleIssued(bill: bill, autoid: autoid, outTradeNo: outTradeNo)
    }
}

/// Counts the calls that reach the sandbox's gateway: a fault budget whose every "fault" is the normal answer
/// (mode `hang`, applied, released after `delayMilliseconds`), so the budget left says how many calls came.
enum GatewayCalls {
    static let budget = 10_000

    /// Starts counting from zero; each call is answered after `delayMilliseconds`.
    static func startCounting(delayMilliseconds: Int = 0) async throws {
        try await StackSandbox.run {
            try $0.setFaults(["mode": "hang", "applied": true, "hang_ms": delayMilliseconds, "count": budget])
        }
    }

    /// The calls since `startCounting`.
    static func count() async throws -> Int {
        let left = try await StackSandbox.run { try $0.faults()["count"] }
        guard let left, let number = Int(left) else { throw TestFailure("the sandbox has no fault budget: \(left ?? "-")") }
        return budget - number
    }
}

/// One refund in the sandbox's book (`GET /sandbox/trades/<out_trade_no>`, member `refunds`).
struct SandboxRefundEntry: Equatable, Sendable {
    let outRequestNo: String
    let amount: String
}

extension StackSandbox {
    /// The refunds the sandbox (Alipay) has made on the trade, oldest first; empty for an unknown trade.
    func refunds(_ outTradeNo: String) throws -> [SandboxRefundEntry] {
        let reply = try client.get("/sandbox/trades/" + outTradeNo)
        if reply.status == 404 { return [] }
        guard reply.status == 200, let trade = try JSONSerialization.jsonObject(with: reply.data) as? [String: Any],
              let refunds = trade["refunds"] as? [[String: Any]]
        else { throw TestFailure("sandbox trade \(outTradeNo): HTTP \(reply.status) \(reply.text.prefix(200))") }
        return refunds.map {
            SandboxRefundEntry(outRequestNo: $0["out_request_no"] as? String ?? "", amount: $0["amount"] as? String ?? "")
        }
    }

    /// A refund made in Alipay's merchant portal (outside the API); the sandbox notifies it like any refund.
    func portalRefund(_ outTradeNo: String, amount: String, outRequestNo: String) throws -> HTTPReply {
        try control("refund", ["out_trade_no": outTradeNo, "refund_amount": amount, "out_request_no": outRequestNo])
    }

    /// The `trade_status` of every notification attempt for the trade, oldest first, with its reply.
    func notificationLog(_ outTradeNo: String) throws -> [(status: String, reply: String, delivered: Bool)] {
        let reply = try client.get("/sandbox/notifications?out_trade_no=\(outTradeNo)")
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: reply.data) as? [String: Any],
              let entries = object["notifications"] as? [[String: Any]]
        else { throw TestFailure("sandbox notifications: HTTP \(reply.status) \(reply.text.prefix(200))") }
        return entries.map {
            ($0["trade_status"] as? String ?? "", $0["reply"] as? String ?? "", $0["delivered"] as? Bool ?? false)
        }
    }
}

/// The refund tables of the stack's database (sql/050_refunds.sql).
extension StackDatabase {
    /// The refund receipt table beside each receipt table.
    static let refundReceiptTables = RefundReceiptTables.byBilltype

    /// The payment's refund rows, oldest first.
    func refunds(autoid: Int64) throws -> [Columns] {
        try rows("SELECT * FROM T_3Pay_Offline_Refund WHERE autoid = ? ORDER BY refund_id", [.int(autoid)])
    }

    /// The payment's refund receipts in each refund receipt table, by table.
    func refundReceipts(autoid: Int64) throws -> [String: [Columns]] {
        var found: [String: [Columns]] = [:]
        for table in Self.refundReceiptTables.values {
            // Table names come from the constant list above.
            found[table] = try rows("SELECT * FROM \(table) WHERE autoid = ? ORDER BY refund_receipt_id", [.int(autoid)])
        }
        return found
    }

    /// The payment's callbacks in the outbox, queued order.
    func callbacks(autoid: Int64) throws -> [Columns] {
        try rows("SELECT * FROM T_3Pay_Callback_Outbox WHERE autoid = ? ORDER BY id", [.int(autoid)])
    }

    /// The card debits of a card, oldest first.
    func debits(cardno: String) throws -> [Columns] {
        try rows("SELECT * FROM T_3Pay_StoredValueCard_Debit WHERE cardno = ? ORDER BY debit_id", [.string(cardno)])
    }

    /// Sets a card's balance, as the business system does when the card is spent.
    func setCardBalance(_ cardno: String, _ balance: String) throws {
        _ = try connection.execute("UPDATE T_3Pay_StoredValueCard SET balance = ? WHERE cardno = ?",
                                   [.decimal(balance), .string(cardno)])
    }
}

/// Shared checks of the refund tests.
class RefundTestCase: LifecycleTestCase {
    /// Checks a refund answer: errcode 0 and the tag of a finished refund.
    func assertRefunded(
        _ answer: LifecycleEnvelope, _ bill: LifecycleIssued, refundno: String, value: String, total: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "", file: file, line: line)
        XCTAssertEqual(answer.tag, [
            "billnum": bill.bill.billnum, "billtype": bill.bill.billtype, "autoid": String(bill.autoid),
            "refundno": refundno, "refundvalue": value, "refundedtotal": total, "status": "refunded",
        ], file: file, line: line)
    }

    /// Checks that the payment has exactly these refunds (`refundno STATUS amount`), each refunded one with one
    /// receipt in the billtype's refund table and none elsewhere, and the record's refunded total.
    func assertRefunds(
        _ bill: LifecycleIssued, _ database: StackDatabase, _ expected: [String], total: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let refunds = try database.refunds(autoid: bill.autoid)
        XCTAssertEqual(refunds.map { "\($0["refundno"] ?? "?") \($0["status"] ?? "?") \($0["amount"] ?? "?")" }, expected,
                       file: file, line: line)
        let receipts = try database.refundReceipts(autoid: bill.autoid)
        let table = StackDatabase.refundReceiptTables[bill.bill.billtype]!
        let refunded = refunds.filter { $0["status"] == "REFUNDED" }
        // Receipts are in the order the refunds were recorded, which need not be the order they were asked for.
        XCTAssertEqual(receipts[table]?.compactMap { $0["refund_id"].flatMap { Int64($0) } }.sorted(),
                       refunded.compactMap { $0["refund_id"].flatMap { Int64($0) } }.sorted(),
                       "one refund receipt per refund", file: file, line: line)
        XCTAssertEqual(receipts.values.map(\.count).reduce(0, +), refunded.count, "\(receipts)", file: file, line: line)
        XCTAssertEqual(try database.record(autoid: bill.autoid)?["refunded_amount"], total, file: file, line: line)
        XCTAssertEqual(try database.receiptCounts(autoid: bill.autoid).values.reduce(0, +), 1,
                       "still one payment receipt", file: file, line: line)
    }

    /// Waits until every callback of the payment was delivered, then checks the sink got each exactly once: the
    /// payment's (`paid`) and one per refund (`refunded`, with its number, amount and the total after it).
    /// Returns the refund callbacks, in the order the refunds were recorded.
    @discardableResult
    func assertCallbacks(
        _ bill: LifecycleIssued, _ database: StackDatabase, refunds expected: [(refundno: String, value: String, total: String)],
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [LifecycleCallback] {
        let autoid = bill.autoid
        try await Poll.eventually("\(expected.count + 1) callbacks of \(autoid) delivered", seconds: 30, every: 0.2) {
            let rows = try database.callbacks(autoid: autoid)
            return rows.count == expected.count + 1 && rows.allSatisfy { $0["status"] == "DELIVERED" }
        }
        let received = try await LifecycleCallbacks.received(autoid: autoid, billnum: bill.bill.billnum)
        XCTAssertEqual(received.filter { $0.fields["status"] == "paid" }.count, 1, "one payment callback",
                       file: file, line: line)
        let refunds = received.filter { $0.fields["status"] == "refunded" }
        XCTAssertEqual(refunds.map { $0.fields["refundno"] ?? "" }.sorted(), expected.map(\.refundno).sorted(),
                       "one callback per refund", file: file, line: line)
        for (refundno, value, total) in expected {
            let callback = refunds.first { $0.fields["refundno"] == refundno }
            XCTAssertEqual(callback?.fields["refundvalue"], value, refundno, file: file, line: line)
            XCTAssertEqual(callback?.fields["refundedtotal"], total, refundno, file: file, line: line)
            XCTAssertEqual(callback?.fields["amount"], bill.bill.amount, "the payment's amount", file: file, line: line)
            XCTAssertEqual(callback?.fields["billtype"], bill.bill.billtype, file: file, line: line)
            XCTAssertEqual(callback?.fields["outtradeno"], bill.outTradeNo, file: file, line: line)
            XCTAssertNotNil(callback?.fields["refundtime"], file: file, line: line)
            if let callback { try LifecycleCallbacks.assertSigned(callback, database, file: file, line: line) }
        }
        return refunds
    }

    /// Checks the amounts of the refunds Alipay (the sandbox) made on the trade, oldest first.
    @discardableResult
    func assertAlipayRefunds(
        _ outTradeNo: String, _ amounts: [String], _ message: String = "", file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> [SandboxRefundEntry] {
        let refunds = try await StackSandbox.run { try $0.refunds(outTradeNo) }
        XCTAssertEqual(refunds.map(\.amount), amounts, "refunds at Alipay \(refunds) \(message)", file: file, line: line)
        return refunds
    }

    /// Checks how many calls reached the sandbox's gateway since `GatewayCalls.startCounting()`.
    func assertGatewayCalls(
        _ expected: Int, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let count = try await GatewayCalls.count()
        XCTAssertEqual(count, expected, "calls that reached Alipay \(message)", file: file, line: line)
    }

    /// Checks the trade's status at Alipay (the sandbox).
    func assertAlipayStatus(
        _ outTradeNo: String, _ status: String, _ message: String = "", file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        let trade = try await StackSandbox.run { try $0.trade(outTradeNo) }
        XCTAssertEqual(trade?["status"], status, message, file: file, line: line)
    }

    /// Query's answer for the bill: its status and refunded total.
    func assertQuery(
        _ bill: LifecycleIssued, status: String, refundedTotal: String, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let answer = try await LifecycleAPI.query(autoid: bill.autoid)
        XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "", file: file, line: line)
        XCTAssertEqual(answer.tag["status"], status, file: file, line: line)
        XCTAssertEqual(answer.tag["refundedtotal"], refundedTotal, file: file, line: line)
        XCTAssertEqual(answer.tag["amount"], bill.bill.amount, file: file, line: line)
    }
}
