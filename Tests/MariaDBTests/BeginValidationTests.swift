import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Begin's own argument checks, called directly so that values the Swift types would refuse reach the server.
final class BeginValidationTests: XCTestCase {
    private struct Arguments {
        var billnum: SQLValue
        var billtype: SQLValue = .string("2")
        var body: SQLValue = .string("门票")
        var paytype: SQLValue = .string("01")
        var amount: SQLValue = .decimal("1.00")
        var detail: SQLValue = .null
        var clientip: SQLValue = .string("10.0.0.8")
        var cardno: SQLValue = .null
        var validity: SQLValue = .int(600)
        var leaseToken: SQLValue = .null
        var leaseMilliseconds: SQLValue = .null

        var list: [SQLValue] {
            [billnum, billtype, body, paytype, amount, detail, clientip, cardno, validity, leaseToken, leaseMilliseconds]
        }
    }

    /// Calls Begin and asserts a 50002 rule error with exactly `message`, and that nothing was written.
    private func assertRefused(
        _ connection: Connection, _ change: (inout Arguments) -> Void, _ message: String, line: UInt = #line
    ) throws {
        let billnum = TestDatabase.uniqueBillnum()
        var arguments = Arguments(billnum: .string(billnum))
        change(&arguments)
        XCTAssertThrowsError(try connection.call("Sp_3Pay_Offline_ReceiveMoney_Begin", arguments.list, idempotent: false), line: line) {
            guard case .rule(let code, let text) = $0 as? MariaDBError else {
                return XCTFail("expected a rule error, got \($0)", line: line)
            }
            XCTAssertEqual(code, 50002, line: line)
            XCTAssertEqual(text, message, line: line)
        }
        if case .string(let used) = arguments.billnum, case .string(let type) = arguments.billtype {
            XCTAssertEqual(try TestDatabase.recordCount(connection, billtype: type, billnum: used), 0, line: line)
            XCTAssertEqual(try TestDatabase.billCount(connection, billtype: type, billnum: used), 0, line: line)
        }
    }

    func testAmountsOutsideTheRuleAreRefusedWithoutWritingARow() throws {
        let connection = try TestDatabase.connect()
        try assertRefused(connection, { $0.amount = .decimal("0.001") }, "paymentvalue must have at most 2 decimal places")
        try assertRefused(connection, { $0.amount = .string("0.001") }, "paymentvalue must have at most 2 decimal places")
        try assertRefused(connection, { $0.amount = .decimal("12.345") },
                          "paymentvalue must have at most 2 decimal places")
        try assertRefused(connection, { $0.amount = .decimal("0") }, "paymentvalue must be greater than 0")
        try assertRefused(connection, { $0.amount = .decimal("0.00") }, "paymentvalue must be greater than 0")
        try assertRefused(connection, { $0.amount = .decimal("-1.00") }, "paymentvalue must be greater than 0")
        try assertRefused(connection, { $0.amount = .decimal("100000000.01") },
                          "paymentvalue must not exceed 100000000.00")
        try assertRefused(connection, { $0.amount = .decimal("999999999999") },
                          "paymentvalue must not exceed 100000000.00")
        try assertRefused(connection, { $0.amount = .null }, "paymentvalue is required")
    }

    func testAmountLimitsThemselvesAreAccepted() throws {
        let store = try TestDatabase.store()
        for amount in ["0.01", "100000000.00", "100000000", "5.10", "5.100"] {
            let billnum = TestDatabase.uniqueBillnum()
            let sets = try store.connection.call("Sp_3Pay_Offline_ReceiveMoney_Begin", [
                .string(billnum), .string("2"), .string("b"), .string("01"), .decimal(amount), .null,
                .string("10.0.0.8"), .null, .int(600), .null, .null,
            ], idempotent: false)
            XCTAssertEqual(try sets.first?.rows.first?.string("action"), "new", amount)
            let stored = try sets.first?.rows.first?.string("paymentvalue")
            XCTAssertEqual(stored.flatMap { Decimal(string: $0) }, Decimal(string: amount), amount)
        }
    }

    func testTextArgumentsAreChecked() throws {
        let connection = try TestDatabase.connect()
        try assertRefused(connection, { $0.billtype = .string("8") }, "billtype must be one of 1, 2, 3, 4, 5, 6, 7")
        try assertRefused(connection, { $0.billtype = .string("") }, "billtype must be one of 1, 2, 3, 4, 5, 6, 7")
        try assertRefused(connection, { $0.billtype = .null }, "billtype must be one of 1, 2, 3, 4, 5, 6, 7")
        try assertRefused(connection, { $0.billnum = .string("") }, "billnum is required")
        try assertRefused(connection, { $0.billnum = .string("   ") }, "billnum is required")
        try assertRefused(connection, { $0.billnum = .string(String(repeating: "号", count: 21)) },
                          "billnum must be at most 20 characters")
        try assertRefused(connection, { $0.body = .string("") }, "body is required")
        try assertRefused(connection, { $0.body = .null }, "body is required")
        try assertRefused(connection, { $0.body = .string(String(repeating: "😀", count: 513)) },
                          "body must be at most 512 characters")
        try assertRefused(connection, { $0.paytype = .string("") }, "paytype is required")
        try assertRefused(connection, { $0.paytype = .string("123") }, "paytype must be at most 2 characters")
        try assertRefused(connection, { $0.detail = .string(String(repeating: "d", count: 2001)) },
                          "detail must be at most 2000 characters")
        try assertRefused(connection, { $0.clientip = .null }, "clientip is required")
        try assertRefused(connection, { $0.clientip = .string(String(repeating: "1", count: 46)) },
                          "clientip must be at most 45 characters")
        try assertRefused(connection, { $0.billtype = .string("7") }, "cardno is required for billtype 7")
        try assertRefused(connection, { $0.billtype = .string("7"); $0.cardno = .string(" ") },
                          "cardno is required for billtype 7")
        try assertRefused(connection, { $0.cardno = .string(String(repeating: "9", count: 21)) },
                          "cardno must be at most 20 characters")
        try assertRefused(connection, { $0.validity = .int(0) }, "QR validity must be between 1 and 7200 seconds")
        try assertRefused(connection, { $0.validity = .int(7201) }, "QR validity must be between 1 and 7200 seconds")
    }

    func testStoreMapsProcedureRulesToStoreErrors() throws {
        let store = try TestDatabase.store()
        // (A billtype outside 1–7 cannot reach the store through the validated bill type; the procedure's own
        // check is called directly above.)
        XCTAssertRule(try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), cardno: String(repeating: "9", count: 21))),
                      containing: "cardno must be at most 20 characters")
        XCTAssertRule(try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), amount: "0.00")),
                      containing: "paymentvalue must be greater than 0")
        // Far beyond every parameter width: strict mode refuses it before the procedure's checks run.
        XCTAssertRule(try store.begin(TestDatabase.input(String(repeating: "n", count: 300))),
                      containing: "too long or not valid")
    }
}
