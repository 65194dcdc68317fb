import Foundation
import XCTest

/// Every validation rule of the ScanCode request, in JSON, XML, form and BSON bodies: errcode 1002, an
/// errmsg naming the member, and no record written. Boundary values just inside the rules pass.
final class ScanCodeValidationTests: ScanCodeTestCase {
    struct Rule {
        let name: String
        /// The member the errmsg must name.
        let field: String
        /// Formats the rule applies to (JSON-only for JSON tokens).
        var formats: [ScanCodeTestCase.Format] = ScanCodeTestCase.Format.allCases
        /// Builds the broken bill from a unique billnum; returns it with every billnum a record could carry.
        let make: @Sendable (String) -> (bill: ScanCodeBill, billnums: [String])
    }

    static func change(_ name: String, _ value: ScanCodeBill.Value?) -> @Sendable (String) -> (bill: ScanCodeBill, billnums: [String]) {
        { billnum in (ScanCodeBill.valid(billnum).setting(name, value), [billnum]) }
    }

    static func padded(_ billnum: String, to length: Int, tail: String = "") -> String {
        billnum + String(repeating: "x", count: max(0, length - billnum.utf16.count - tail.utf16.count)) + tail
    }

    static let rules: [Rule] = [
        Rule(name: "billnum missing", field: "billnum", make: change("billnum", nil)),
        Rule(name: "billnum blank", field: "billnum", make: change("billnum", .text("   "))),
        Rule(name: "billnum 21 characters", field: "billnum") { billnum in
            let long = padded(billnum, to: 21)
            return (ScanCodeBill.valid(long), [long, String(long.prefix(20))])
        },
        Rule(name: "billnum 19 characters and an emoji (21 UTF-16 units)", field: "billnum") { billnum in
            let long = padded(billnum, to: 21, tail: "😀")
            return (ScanCodeBill.valid(long), [long, String(long.prefix(20)), String(long.dropLast())])
        },
        Rule(name: "billtype missing", field: "billtype", make: change("billtype", nil)),
        Rule(name: "billtype 0", field: "billtype", make: change("billtype", .text("0"))),
        Rule(name: "billtype 8", field: "billtype", make: change("billtype", .text("8"))),
        Rule(name: "billtype \"12\"", field: "billtype", make: change("billtype", .text("12"))),
        Rule(name: "billtype number 8", field: "billtype", formats: [.json], make: change("billtype", .token("8"))),
        Rule(name: "body missing", field: "body", make: change("body", nil)),
        Rule(name: "body empty", field: "body", make: change("body", .text(""))),
        Rule(name: "body spaces", field: "body", make: change("body", .text("   "))),
        Rule(name: "body ideographic space U+3000", field: "body", make: change("body", .text("\u{3000}\u{3000}"))),
        Rule(name: "body tabs, line ends, U+3000", field: "body", make: change("body", .text("\t\r\n \u{3000}"))),
        Rule(name: "body null", field: "body", formats: [.json], make: change("body", .token("null"))),
        Rule(name: "paytype missing", field: "paytype", make: change("paytype", nil)),
        Rule(name: "paytype 3 characters", field: "paytype", make: change("paytype", .text("011"))),
        Rule(name: "paymentvalue missing", field: "paymentvalue", make: change("paymentvalue", nil)),
        Rule(name: "paymentvalue 0", field: "paymentvalue", make: change("paymentvalue", .token("0"))),
        Rule(name: "paymentvalue 0.00", field: "paymentvalue", make: change("paymentvalue", .token("0.00"))),
        Rule(name: "paymentvalue negative", field: "paymentvalue", make: change("paymentvalue", .token("-5.00"))),
        Rule(name: "paymentvalue 5.001", field: "paymentvalue", make: change("paymentvalue", .token("5.001"))),
        Rule(name: "paymentvalue 100000000.01", field: "paymentvalue", make: change("paymentvalue", .token("100000000.01"))),
        Rule(name: "paymentvalue \"abc\"", field: "paymentvalue", make: change("paymentvalue", .text("abc"))),
        Rule(name: "paymentvalue string \"5.001\"", field: "paymentvalue", formats: [.json],
             make: change("paymentvalue", .text("5.001"))),
        Rule(name: "paymentvalue true", field: "paymentvalue", formats: [.json], make: change("paymentvalue", .token("true"))),
        Rule(name: "paymentvalue null", field: "paymentvalue", formats: [.json], make: change("paymentvalue", .token("null"))),
        Rule(name: "cardno missing for billtype 7", field: "cardno") { billnum in
            (ScanCodeBill.valid(billnum, billtype: "7").setting("cardno", nil), [billnum])
        },
        Rule(name: "cardno blank for billtype 7", field: "cardno") { billnum in
            (ScanCodeBill.valid(billnum, billtype: "7").setting("cardno", .text(" ")), [billnum])
        },
        Rule(name: "cardno 21 characters", field: "cardno", make: change("cardno", .text(String(repeating: "6", count: 21)))),
        Rule(name: "cardno 21 characters, billtype 7", field: "cardno") { billnum in
            (ScanCodeBill.valid(billnum, billtype: "7").setting("cardno", .text(String(repeating: "6", count: 21))), [billnum])
        },
        Rule(name: "clientip not an address", field: "clientip", make: change("clientip", .text("not-an-ip"))),
        Rule(name: "clientip octet 256", field: "clientip", make: change("clientip", .text("10.0.0.256"))),
        Rule(name: "clientip three octets", field: "clientip", make: change("clientip", .text("10.0.0"))),
        Rule(name: "clientip with a port", field: "clientip", make: change("clientip", .text("10.0.0.8:80"))),
        Rule(name: "clientip trailing space", field: "clientip", make: change("clientip", .text("10.0.0.8 "))),
    ]

    func testEveryRuleFailsWith1002NamingTheFieldAndWritesNothing() throws {
        var count = 0
        for rule in Self.rules {
            for format in rule.formats {
                let (bill, billnums) = rule.make(ScanCodeBillNumbers.next("val"))
                let label = "\(rule.name) [\(format)]"
                let (reply, answer) = try send(bill, as: format)
                XCTAssertEqual(reply.status, 200, label)
                XCTAssertEqual(answer.errcode, 1002, "\(label): \(answer.errmsg ?? "nil")")
                XCTAssertTrue(answer.errmsg?.contains(rule.field) == true, "\(label): errmsg '\(answer.errmsg ?? "nil")' does not name \(rule.field)")
                XCTAssertNil(answer.codeurl, label)
                try assertNoRecord(billnums, label)
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 90)
    }

    /// Values just inside each rule are accepted and stored exactly (so the failures above are the rules').
    func testBoundaryValuesAreAccepted() throws {
        let cases: [(String, (String) -> ScanCodeBill, (StackDatabase.Record) -> Void)] = [
            ("billnum of 20 characters", { ScanCodeBill.valid(Self.padded($0, to: 20)) }, { _ in }),
            ("billnum of 18 characters and an emoji", { ScanCodeBill.valid(Self.padded($0, to: 20, tail: "😀")) }, { _ in }),
            ("paymentvalue 0.01", { ScanCodeBill.valid($0, amount: "0.01") }, { XCTAssertEqual($0.paymentvalue, "0.01") }),
            ("paymentvalue 100000000.00", { ScanCodeBill.valid($0, amount: "100000000.00") },
             { XCTAssertEqual($0.paymentvalue, "100000000.00") }),
            ("paymentvalue 5.100 (trailing zero)", { ScanCodeBill.valid($0, amount: "5.100") },
             { XCTAssertEqual($0.paymentvalue, "5.10") }),
            ("paymentvalue string \" 1,000.50 \"", { ScanCodeBill.valid($0).setting("paymentvalue", .text(" 1,000.50 ")) },
             { XCTAssertEqual($0.paymentvalue, "1000.50") }),
            ("paymentvalue 5e2", { ScanCodeBill.valid($0, amount: "5e2") }, { XCTAssertEqual($0.paymentvalue, "500.00") }),
            ("paytype of 2", { ScanCodeBill.valid($0).setting("paytype", .text("0A")) }, { XCTAssertEqual($0.paytype, "0A") }),
            ("billtype 7 with a 20-digit cardno",
             { ScanCodeBill.valid($0, billtype: "7").setting("cardno", .text(String(repeating: "9", count: 20))) },
             { XCTAssertEqual($0.cardno, String(repeating: "9", count: 20)); XCTAssertEqual($0.billtype, "7") }),
            ("body kept untrimmed", { ScanCodeBill.valid($0).setting("body", .text("  门票 \u{3000}")) },
             { XCTAssertEqual($0.body, "  门票 \u{3000}") }),
            ("clientip IPv4-mapped IPv6", { ScanCodeBill.valid($0).setting("clientip", .text("::ffff:10.0.0.8")) },
             { XCTAssertEqual($0.clientip, "::ffff:10.0.0.8") }),
        ]
        for (name, make, check) in cases {
            let bill = make(ScanCodeBillNumbers.next("ok"))
            let billnum = try XCTUnwrap(bill.text("billnum"))
            let (_, answer) = try send(bill)
            XCTAssertEqual(answer.errcode, 0, "\(name): \(answer.errmsg ?? "")")
            guard answer.errcode == 0 else { continue }
            check(try assertIssued(answer, billnum: billnum))
        }
    }
}
