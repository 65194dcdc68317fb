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
}
