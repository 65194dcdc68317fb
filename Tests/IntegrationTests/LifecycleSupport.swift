import CurlClient
import Foundation
import TestSupport
import XCTest

/// A bill as the lifecycle tests send it to ScanCode.
struct LifecycleBill: Sendable {
    let billnum: String
    let billtype: String
    let amount: String
    let cardno: String?

    /// A bill no earlier run used; billtype 7 always gets a card number (a fresh card unless given).
    static func next(
        _ tag: String = "LC", billtype: String = "2", amount: String = "5.00", cardno: String? = nil
    ) -> LifecycleBill {
        let billnum = ScanCodeBillNumbers.next(tag)
        let card = cardno ?? (billtype == "7" ? "C" + billnum.suffix(19) : nil)
        return LifecycleBill(billnum: billnum, billtype: billtype, amount: amount, cardno: card)
    }

    var json: [String: any Sendable] {
        var members: [String: any Sendable] = [
            "billnum": billnum, "billtype": billtype, "body": "lifecycle test", "paytype": "01",
            "paymentvalue": amount, "detail": "one item", "clientip": "10.0.0.8",
        ]
        if let cardno { members["cardno"] = cardno }
        return members
    }
}

/// A bill whose QR code was issued: its record and Alipay trade number.
struct LifecycleIssued: Sendable {
    let bill: LifecycleBill
    let autoid: Int64
    let outTradeNo: String
}

/// An answer envelope of ThreePay's JSON API, its tag members as text.
struct LifecycleEnvelope: Sendable {
    let httpStatus: Int
    let errcode: Int
    let errmsg: String?
    /// Tag members that are strings (null members are left out); empty when the tag is null.
    let tag: [String: String]

    init(_ answer: HTTPReply) throws {
        guard let object = try JSONSerialization.jsonObject(with: answer.data) as? [String: Any],
              let errcode = object["errcode"] as? Int
        else { throw TestFailure("not a JSON envelope (HTTP \(answer.status)): \(answer.text.prefix(300))") }
        httpStatus = answer.status
        self.errcode = errcode
        errmsg = object["errmsg"] as? String
        tag = (object["tag"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
    }
}

/// ThreePay's API through nginx (the sandbox's control API is `StackSandbox`).
enum LifecycleAPI {
    /// `through`: a path prefix that reaches another responder (`TestResponder.prefix`).
    static func scanCode(_ bill: LifecycleBill, through prefix: String = "") async throws -> LifecycleEnvelope {
        try LifecycleEnvelope(await HTTP.postJSON(prefix + scanCodePath, bill.json))
    }

    /// ScanCode that must issue a QR code; the trade number is read from the record.
    static func issue(_ bill: LifecycleBill, _ database: StackDatabase) async throws -> LifecycleIssued {
        let answer = try await scanCode(bill)
        guard answer.errcode == 0, let autoidText = answer.tag["autoid"], let autoid = Int64(autoidText) else {
            throw TestFailure("ScanCode of \(bill.billnum) failed: \(answer.errcode) \(answer.errmsg ?? "")")
        }
        let record = try XCTUnwrap(try database.record(autoid: autoid), "no record \(autoid)")
        let outTradeNo = try XCTUnwrap(record["out_trade_no"], "record \(autoid) has no out_trade_no")
        return LifecycleIssued(bill: bill, autoid: autoid, outTradeNo: outTradeNo)
    }

    static func query(autoid: Int64) async throws -> LifecycleEnvelope {
        try LifecycleEnvelope(await HTTP.postJSON("/api/3Pay/AliPay/Query", ["autoid": String(autoid)]))
    }

    static func cancel(_ bill: LifecycleBill) async throws -> LifecycleEnvelope {
        try LifecycleEnvelope(await HTTP.postJSON(
            "/api/3Pay/AliPay/Cancel", ["billtype": bill.billtype, "billnum": bill.billnum]))
    }

    /// POSTs a notification form to ThreePay as Alipay would.
    static func notify(_ form: [UInt8]) async throws -> HTTPReply {
        try await HTTP.post(
            "/api/3Pay/AliPay/Notify", form, contentType: "application/x-www-form-urlencoded; charset=utf-8")
    }
}

/// Shared set-up: gateway faults are cleared before and after every test, also when it fails.
class LifecycleTestCase: XCTestCase {
    override func setUp() async throws {
        try await super.setUp()
        try await StackSandbox.run { try $0.resetFaults() }
    }

    override func tearDown() async throws {
        // A fault left behind would break every later test.
        try? await StackSandbox.run { try $0.resetFaults() }
        try await super.tearDown()
    }

    /// Checks a bill recorded as paid exactly once: the record PAID with the sandbox's trade number and
    /// amount, one receipt in the billtype's table and none elsewhere, one callback in the outbox.
    /// Returns the record.
    @discardableResult
    func assertPaidOnce(
        _ issued: LifecycleIssued, _ database: StackDatabase, source: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [String: String] {
        let record = try XCTUnwrap(try database.record(autoid: issued.autoid), file: file, line: line)
        XCTAssertEqual(record["status"], "PAID", "record \(issued.autoid)", file: file, line: line)
        let trade = try await StackSandbox.run { try $0.trade(issued.outTradeNo) }
        XCTAssertEqual(trade?["status"], "TRADE_SUCCESS", file: file, line: line)
        XCTAssertNotNil(record["trade_no"], file: file, line: line)
        XCTAssertEqual(record["trade_no"], trade?["trade_no"], file: file, line: line)
        XCTAssertEqual(record["paid_amount"], issued.bill.amount, file: file, line: line)
        if let source { XCTAssertEqual(record["paid_source"], source, file: file, line: line) }

        let receipts = try database.receiptCounts(autoid: issued.autoid)
        let table = StackDatabase.receiptTables[issued.bill.billtype]!
        XCTAssertEqual(receipts[table], 1, "receipts of \(issued.autoid): \(receipts)", file: file, line: line)
        XCTAssertEqual(receipts.values.reduce(0, +), 1, "receipts of \(issued.autoid): \(receipts)", file: file, line: line)
        let receipt = try XCTUnwrap(try database.receipt(table: table, autoid: issued.autoid), file: file, line: line)
        XCTAssertEqual(receipt["amount"], issued.bill.amount, file: file, line: line)
        XCTAssertEqual(receipt["trade_no"], record["trade_no"], file: file, line: line)
        XCTAssertEqual(receipt["out_trade_no"], issued.outTradeNo, file: file, line: line)
        XCTAssertEqual(receipt["billnum"], issued.bill.billnum, file: file, line: line)
        if issued.bill.billtype == "7" {
            XCTAssertEqual(receipt["cardno"], issued.bill.cardno, file: file, line: line)
        }
        XCTAssertEqual(try database.outbox(autoid: issued.autoid).count, 1, "outbox rows", file: file, line: line)
        return record
    }

    /// Checks a bill that must not be paid: the record in `status`, no receipt, no card credit, no callback.
    func assertNotPaid(
        _ issued: LifecycleIssued, _ database: StackDatabase, status: String = "QR_ISSUED",
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let record = try XCTUnwrap(try database.record(autoid: issued.autoid), file: file, line: line)
        XCTAssertEqual(record["status"], status, file: file, line: line)
        XCTAssertNil(record["trade_no"], file: file, line: line)
        XCTAssertNil(record["paid_at"], file: file, line: line)
        XCTAssertEqual(try database.receiptCounts(autoid: issued.autoid).values.reduce(0, +), 0, file: file, line: line)
        XCTAssertEqual(try database.creditCount(autoid: issued.autoid), 0, file: file, line: line)
        XCTAssertEqual(try database.outbox(autoid: issued.autoid).count, 0, file: file, line: line)
    }

    /// Checks Query's answer for a paid bill: status paid, trade number, amount and payment time
    /// (Alipay's, China time) as the sandbox has them.
    func assertQueryPaid(_ issued: LifecycleIssued, file: StaticString = #filePath, line: UInt = #line) async throws {
        let answer = try await LifecycleAPI.query(autoid: issued.autoid)
        XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "", file: file, line: line)
        XCTAssertEqual(answer.tag["status"], "paid", file: file, line: line)
        XCTAssertEqual(answer.tag["autoid"], String(issued.autoid), file: file, line: line)
        XCTAssertEqual(answer.tag["billnum"], issued.bill.billnum, file: file, line: line)
        XCTAssertEqual(answer.tag["billtype"], issued.bill.billtype, file: file, line: line)
        XCTAssertEqual(answer.tag["amount"], issued.bill.amount, file: file, line: line)
        XCTAssertEqual(answer.tag["outtradeno"], issued.outTradeNo, file: file, line: line)
        let trade = try await StackSandbox.run { try $0.trade(issued.outTradeNo) }
        XCTAssertNotNil(answer.tag["tradeno"], file: file, line: line)
        XCTAssertEqual(answer.tag["tradeno"], trade?["trade_no"], file: file, line: line)
        XCTAssertNotNil(answer.tag["paytime"], file: file, line: line)
        XCTAssertEqual(answer.tag["paytime"], trade?["paid_at"], "payment time as Alipay reported it", file: file, line: line)
        XCTAssertNil(answer.tag["codeurl"], "a paid bill hands out no QR code", file: file, line: line)
    }
}
