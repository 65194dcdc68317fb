import Foundation
import XCTest

/// A lifecycle precondition or wait that did not hold, with a readable reason.
struct LifecycleFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

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

    var json: [String: Any] {
        var members: [String: Any] = [
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

    init(_ answer: HTTPAnswer) throws {
        guard let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let errcode = object["errcode"] as? Int
        else { throw LifecycleFailure("not a JSON envelope (HTTP \(answer.status)): \(answer.text.prefix(300))") }
        httpStatus = answer.status
        self.errcode = errcode
        errmsg = object["errmsg"] as? String
        tag = (object["tag"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
    }
}

/// One delivery attempt of a sandbox notification (`GET /sandbox/notifications`).
struct LifecycleNotifyAttempt: Sendable {
    let attempt: Int
    let statusCode: Int?
    let reply: String
    let delivered: Bool
}

/// ThreePay's API and the sandbox's control API, through nginx.
enum LifecycleAPI {
    static func scanCode(_ bill: LifecycleBill) async throws -> LifecycleEnvelope {
        try LifecycleEnvelope(await HTTP.postJSON("/api/3Pay/AliPay/ScanCode", bill.json))
    }

    /// ScanCode that must issue a QR code; the trade number is read from the record.
    static func issue(_ bill: LifecycleBill, _ database: StackDatabase) async throws -> LifecycleIssued {
        let answer = try await scanCode(bill)
        guard answer.errcode == 0, let autoidText = answer.tag["autoid"], let autoid = Int64(autoidText) else {
            throw LifecycleFailure("ScanCode of \(bill.billnum) failed: \(answer.errcode) \(answer.errmsg ?? "")")
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
    static func notify(_ form: [UInt8]) async throws -> HTTPAnswer {
        try await HTTP.send(
            "POST", "/api/3Pay/AliPay/Notify",
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"], body: Data(form))
    }

    // MARK: Sandbox

    /// A buyer pays the trade; `notify: false` loses the notification.
    static func pay(_ outTradeNo: String, notify: Bool = true) async throws -> HTTPAnswer {
        try await control("pay", ["out_trade_no": outTradeNo, "notify": notify ? "1" : "0"])
    }

    static func scan(_ outTradeNo: String) async throws -> HTTPAnswer {
        try await control("scan", ["out_trade_no": outTradeNo])
    }

    /// The sandbox sends the paid trade's notification again.
    static func resendNotification(_ outTradeNo: String) async throws -> HTTPAnswer {
        try await control("notify", ["out_trade_no": outTradeNo])
    }

    static func control(_ action: String, _ parameters: [String: String]) async throws -> HTTPAnswer {
        try await HTTP.postJSON("/sandbox/\(action)", parameters)
    }

    /// The sandbox's trade (scalar members as text), nil when it does not know the number.
    static func trade(_ outTradeNo: String) async throws -> [String: String]? {
        let answer = try await HTTP.send("GET", "/sandbox/trades/\(outTradeNo)")
        if answer.status == 404 { return nil }
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw LifecycleFailure("sandbox trade lookup: HTTP \(answer.status) \(answer.text.prefix(200))")
        }
        return object.compactMapValues { value in
            if let text = value as? String { return text }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
        }
    }

    /// Every delivery attempt of the trade's notifications, oldest first.
    static func notifications(_ outTradeNo: String) async throws -> [LifecycleNotifyAttempt] {
        let answer = try await HTTP.send("GET", "/sandbox/notifications?out_trade_no=\(outTradeNo)")
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let entries = object["notifications"] as? [[String: Any]]
        else { throw LifecycleFailure("sandbox notifications: HTTP \(answer.status) \(answer.text.prefix(200))") }
        return entries.map { entry in
            LifecycleNotifyAttempt(
                attempt: (entry["attempt"] as? Int) ?? 0, statusCode: entry["status_code"] as? Int,
                reply: entry["reply"] as? String ?? "", delivered: entry["delivered"] as? Bool ?? false)
        }
    }

    static func setFaults(_ settings: [String: Any]) async throws {
        let answer = try await HTTP.postJSON("/sandbox/faults", settings)
        guard answer.status == 200 else { throw LifecycleFailure("sandbox refused faults: \(answer.text)") }
    }

    /// Clears every gateway fault (the book of trades and the sink are kept).
    static func resetFaults() async throws {
        let answer = try await HTTP.send("POST", "/sandbox/reset")
        guard answer.status == 200 else { throw LifecycleFailure("sandbox reset: HTTP \(answer.status)") }
    }
}

/// Waiting for something that happens in the background (notifications, callbacks, retries).
enum Eventually {
    /// Polls `condition` until it holds; throws after `seconds`.
    static func wait(
        _ what: String, seconds: TimeInterval, every interval: TimeInterval = 0.1,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try await condition() { return }
            guard Date() < deadline else { throw LifecycleFailure("\(what): not within \(seconds) s") }
            try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}

/// Shared set-up: gateway faults are cleared before and after every test, also when it fails.
class LifecycleTestCase: XCTestCase {
    override func setUp() async throws {
        try await super.setUp()
        try await LifecycleAPI.resetFaults()
    }

    override func tearDown() async throws {
        // A fault left behind would break every later test.
        try? await LifecycleAPI.resetFaults()
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
        let trade = try await LifecycleAPI.trade(issued.outTradeNo)
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
        let trade = try await LifecycleAPI.trade(issued.outTradeNo)
        XCTAssertNotNil(answer.tag["tradeno"], file: file, line: line)
        XCTAssertEqual(answer.tag["tradeno"], trade?["trade_no"], file: file, line: line)
        XCTAssertNotNil(answer.tag["paytime"], file: file, line: line)
        XCTAssertEqual(answer.tag["paytime"], trade?["paid_at"], "payment time as Alipay reported it", file: file, line: line)
        XCTAssertNil(answer.tag["codeurl"], "a paid bill hands out no QR code", file: file, line: line)
    }
}
