import MariaDB
import XCTest

/// The procedures on every ScanCode's path write the record's columns out instead of reading
/// V_3Pay_Offline_ReceiveMoney; their answers must still carry exactly the view's columns, in its order.
final class ProcedureColumnsTests: XCTestCase {
    func testTheScanCodePathAnswersTheViewsColumnsInTheViewsOrder() throws {
        let connection = try TestDatabase.connect()
        let view = try XCTUnwrap(
            connection.execute("SELECT * FROM V_3Pay_Offline_ReceiveMoney WHERE FALSE").first).columns
        XCTAssertTrue(view.contains("refunded_amount"), "the view is the one the procedures promise")

        func columns(_ procedure: String, _ arguments: [SQLValue]) throws -> [String] {
            try XCTUnwrap(connection.call(procedure, arguments, idempotent: false).first, procedure).columns
        }
        let billnum = TestDatabase.uniqueBillnum()
        let token = "columns-\(billnum)"
        let begin = try columns("Sp_3Pay_Offline_ReceiveMoney_Begin", [
            .string(billnum), .string("2"), .string("门票"), .string("01"), .decimal("88.88"), .null,
            .string("10.0.0.8"), .null, .int(600), .string(token), .int(20_000),
        ])
        XCTAssertEqual(begin, ["action"] + view, "Begin ('new')")
        let autoid = try XCTUnwrap(
            connection.execute("SELECT autoid FROM T_3Pay_Offline_ReceiveMoney WHERE billtype = '2' AND billnum = ?",
                               [.string(billnum)]).first?.rows.first?.int64("autoid"))

        let busy = try columns("Sp_3Pay_Offline_ReceiveMoney_Begin", [
            .string(billnum), .string("2"), .string("门票"), .string("01"), .decimal("1.00"), .null,
            .string("10.0.0.8"), .null, .int(600), .string("someone-else"), .int(20_000),
        ])
        XCTAssertEqual(busy, ["action"] + view, "Begin ('busy')")

        XCTAssertEqual(try columns("Sp_3Pay_Offline_ReceiveMoney_Unknown", [.int(autoid), .string("timeout"), .null]),
                       view)
        XCTAssertEqual(try columns("Sp_3Pay_Offline_ReceiveMoney_QrIssued",
                                   [.int(autoid), .string("https://qr.alipay.com/c"), .int(600), .string(token)]),
                       view)
        XCTAssertEqual(try columns("Sp_3Pay_Offline_ReceiveMoney_QrFailed",
                                   [.int(autoid), .string("40004"), .string("ACQ.X"), .string("m"), .null]),
                       view, "a repeat the transition table keeps")
        XCTAssertEqual(try columns("Sp_3Pay_Offline_ReceiveMoney_Closed", [.int(autoid), .null]), view)
        XCTAssertEqual(try columns("Sp_3Pay_Offline_ReceiveMoney_Get", [.int(autoid)]), view)
    }

    /// Begin answers a new record from what it wrote instead of reading it back: that row must be, value for value
    /// as the client reads it, the row _Get reads from the table, for a new bill and for a known bill's new record.
    func testANewRecordIsAnsweredWithTheValuesItWasStoredWith() throws {
        let connection = try TestDatabase.connect()
        func begin(_ billnum: String, _ billtype: String, _ body: String, _ amount: String, _ detail: String?,
                   _ cardno: String?) throws -> Row {
            let answer = try XCTUnwrap(connection.call("Sp_3Pay_Offline_ReceiveMoney_Begin", [
                .string(billnum), .string(billtype), .string(body), .string("01"), .decimal(amount),
                .optional(detail), .string("2001:db8::8"), .optional(cardno), .int(600), .null, .null,
            ], idempotent: false).first?.rows.first)
            XCTAssertEqual(try answer.string("action"), "new", billnum)
            return answer
        }
        func assertStoredAsAnswered(_ answer: Row, file: StaticString = #filePath, line: UInt = #line) throws {
            let autoid = try XCTUnwrap(answer.int64("autoid"), file: file, line: line)
            let stored = try XCTUnwrap(connection.call("Sp_3Pay_Offline_ReceiveMoney_Get", [.int(autoid)],
                                                       idempotent: true).first?.rows.first, file: file, line: line)
            XCTAssertEqual(Array(answer.columns.dropFirst()), stored.columns, file: file, line: line)
            XCTAssertEqual(Array(answer.values.dropFirst()), stored.values, file: file, line: line)
        }
        let cases: [(billtype: String, body: String, amount: String, detail: String?, cardno: String?)] = [
            ("1", "门票 ", "88.8", nil, nil),
            ("7", "储值卡充值", "100000000", "明细 <b>&amp;</b>", "C0012345678901234567"),
            ("3", String(repeating: "票", count: 512), "0.01", "", ""),
        ]
        for entry in cases {
            let billnum = TestDatabase.uniqueBillnum()
            try assertStoredAsAnswered(
                begin(billnum, entry.billtype, entry.body, entry.amount, entry.detail, entry.cardno))
        }

        // A known bill's new record (the first one closed) takes Begin's other path to the same answer.
        let billnum = TestDatabase.uniqueBillnum()
        let first = try begin(billnum, "2", "门票", "10.00", nil, nil)
        _ = try connection.call("Sp_3Pay_Offline_ReceiveMoney_Closed", [.int(XCTUnwrap(first.int64("autoid"))), .null],
                                idempotent: false)
        try assertStoredAsAnswered(begin(billnum, "2", "门票", "10.01", "second", nil))
    }
}
