import PaymentModel
import XCTest

final class ScanCodeValidatorTests: XCTestCase {
    /// A request that passes every rule.
    private func valid() -> ScanCodeFields {
        ScanCodeFields(
            billnum: "20180101001", billtype: "2", body: "门票", paytype: "01",
            paymentvalue: RawAmount(text: "0.01", source: .formValue), clientip: "10.0.0.8"
        )
    }

    private func messages(_ fields: ScanCodeFields) -> [String] {
        ScanCodeValidator.violations(in: fields).map(\.message)
    }

    private func only(_ fields: ScanCodeFields, file: StaticString = #filePath, line: UInt = #line) -> String? {
        let found = messages(fields)
        XCTAssertLessThanOrEqual(found.count, 1, "\(found)", file: file, line: line)
        return found.first
    }

    func testValidRequestBecomesTypedRequest() throws {
        var fields = valid()
        fields.detail = ""
        fields.cardno = ""
        let request = try ScanCodeValidator.validate(fields).get()
        XCTAssertEqual(request.billnum, "20180101001")
        XCTAssertEqual(request.billtype, .pointOfSale)
        XCTAssertEqual(request.paymentvalue, Money(fen: 1))
        XCTAssertEqual(request.clientip, "10.0.0.8")
        XCTAssertNil(request.detail, "empty optional member = absent")
        XCTAssertNil(request.cardno)
    }

    func testBodyAndDetailAreBoundedByTheRecordColumns() {
        var fields = valid()
        fields.body = String(repeating: "票", count: 512)
        fields.detail = String(repeating: "d", count: 2000)
        XCTAssertNil(only(fields))
        fields.body = String(repeating: "票", count: 513)
        XCTAssertEqual(only(fields), "The field body must be a string or array type with a maximum length of '512'.")
        fields.body = String(repeating: "😀", count: 257)
        XCTAssertEqual(only(fields), "The field body must be a string or array type with a maximum length of '512'.")
        fields.body = "门票"
        fields.detail = String(repeating: "d", count: 2001)
        XCTAssertEqual(only(fields), "The field detail must be a string or array type with a maximum length of '2000'.")
    }

    func testBillnumRequiredAndMaxLength() {
        for blank in [nil, "", "   ", "\u{3000}", "\t\n"] as [String?] {
            var fields = valid()
            fields.billnum = blank
            XCTAssertEqual(only(fields), "The billnum field is required.")
        }
        var fields = valid()
        fields.billnum = String(repeating: "9", count: 20)
        XCTAssertNil(only(fields), "20 units is the boundary")
        fields.billnum = String(repeating: "9", count: 21)
        XCTAssertEqual(only(fields), "The field billnum must be a string or array type with a maximum length of '20'.")
        fields.billnum = String(repeating: "😀", count: 10)
        XCTAssertNil(only(fields), "10 emoji = 20 UTF-16 units")
        fields.billnum = String(repeating: "😀", count: 10) + "a"
        XCTAssertNotNil(only(fields))
    }

    func testBilltypeOneToSeven() {
        for code in ["1", "2", "3", "4", "5", "6"] {
            var fields = valid()
            fields.billtype = code
            XCTAssertNil(only(fields), code)
        }
        for wrong in ["0", "8", "12", " 1", "a", "１"] {
            var fields = valid()
            fields.billtype = wrong
            XCTAssertEqual(only(fields)?.hasPrefix("The field billtype must be one of 1-7"), true, wrong)
        }
        var fields = valid()
        fields.billtype = nil
        XCTAssertEqual(only(fields), "The billtype field is required.")
    }

    func testBodyRequired() {
        var fields = valid()
        fields.body = "\u{A0}"
        XCTAssertEqual(only(fields), "The body field is required.")
        fields.body = "x"
        XCTAssertNil(only(fields))
    }

    func testPaytypeRequiredAndMaxLength() {
        var fields = valid()
        fields.paytype = "012"
        XCTAssertEqual(only(fields), "The field paytype must be a string or array type with a maximum length of '2'.")
        fields.paytype = "中文"
        XCTAssertNil(only(fields))
        fields.paytype = ""
        XCTAssertEqual(only(fields), "The paytype field is required.")
    }

    func testPaymentvalueRules() {
        func check(_ text: String, _ source: RawAmount.Source = .jsonNumber) -> [String] {
            var fields = valid()
            fields.paymentvalue = RawAmount(text: text, source: source)
            return messages(fields)
        }
        XCTAssertEqual(check("0.01"), [])
        XCTAssertEqual(check("5.100"), [], "trailing zeros do not count as decimals")
        XCTAssertEqual(check("100000000.00"), [], "Alipay's maximum is allowed")
        XCTAssertEqual(check("1e8"), [])
        XCTAssertEqual(check("0"), ["The field paymentvalue must be greater than 0."])
        XCTAssertEqual(check("-1"), ["The field paymentvalue must be greater than 0."])
        XCTAssertEqual(check("5.001"), ["The field paymentvalue must have at most 2 decimal places (whole fen)."])
        XCTAssertEqual(check("0.001"), ["The field paymentvalue must have at most 2 decimal places (whole fen)."])
        XCTAssertEqual(check("-5.001").count, 2)
        XCTAssertEqual(check("100000000.01"), ["The field paymentvalue must not exceed 100000000.00."])
        XCTAssertEqual(check("100000000.001").count, 2, "too many decimals and above the maximum")
        XCTAssertEqual(check("1e999999999999999"), ["The field paymentvalue must not exceed 100000000.00."])
        XCTAssertEqual(check("1e-999999999999999"), ["The field paymentvalue must have at most 2 decimal places (whole fen)."])
        XCTAssertEqual(check("123456789012345678901234567890"), ["The field paymentvalue must not exceed 100000000.00."])
        XCTAssertEqual(check("abc", .jsonString), ["The value 'abc' is not valid for paymentvalue."])
        XCTAssertEqual(check("1,000", .formValue), ["The value '1,000' is not valid for paymentvalue."])
        XCTAssertEqual(check("1,000.50", .jsonString), [])
        XCTAssertEqual(check(" 5e2 ", .formValue), [])
        XCTAssertEqual(check("True", .boolean), ["The value 'True' is not valid for paymentvalue."])
        XCTAssertEqual(check("", .jsonString), ["The paymentvalue field is required."])
        XCTAssertEqual(check(" ", .xmlText), ["The paymentvalue field is required."])
        var fields = valid()
        fields.paymentvalue = nil
        XCTAssertEqual(messages(fields), ["The paymentvalue field is required."])
        let long = check(String(repeating: "x", count: 100), .jsonString)
        XCTAssertEqual(long.first?.count, "The value '' is not valid for paymentvalue.".count + 33, "value excerpt is bounded")
    }

    func testPaymentvalueBecomesExactMoney() throws {
        var fields = valid()
        fields.paymentvalue = RawAmount(text: "1,234.50", source: .jsonString)
        XCTAssertEqual(try ScanCodeValidator.validate(fields).get().paymentvalue, Money(fen: 123_450))
        fields.paymentvalue = RawAmount(text: "1.5E-1", source: .formValue)
        XCTAssertEqual(try ScanCodeValidator.validate(fields).get().paymentvalue.description, "0.15")
    }

    func testClientipWhenGiven() {
        var fields = valid()
        fields.clientip = nil
        XCTAssertNil(only(fields))
        fields.clientip = ""
        XCTAssertNil(only(fields), "empty = not given")
        fields.clientip = "::1"
        XCTAssertNil(only(fields))
        for wrong in ["010.0.0.8", "localhost", " 10.0.0.8", "10.0.0.256"] {
            fields.clientip = wrong
            XCTAssertEqual(only(fields), "The field clientip must be an IPv4 or IPv6 address.", wrong)
        }
    }

    func testCardnoRequiredForStoredValueRecharge() {
        var fields = valid()
        fields.billtype = "7"
        XCTAssertEqual(only(fields), "The cardno field is required for billtype 7 (stored-value card recharge).")
        fields.cardno = " "
        XCTAssertEqual(only(fields), "The cardno field is required for billtype 7 (stored-value card recharge).")
        fields.cardno = String(repeating: "8", count: 20)
        XCTAssertNil(only(fields))
        fields.cardno = String(repeating: "8", count: 21)
        XCTAssertEqual(only(fields), "The field cardno must be a string or array type with a maximum length of '20'.")
        fields.billtype = "1"
        XCTAssertEqual(only(fields), "The field cardno must be a string or array type with a maximum length of '20'.")
    }

    func testAllViolationsInMemberOrderAndErrmsgIsFirst() {
        let fields = ScanCodeFields(
            billnum: String(repeating: "1", count: 21), billtype: "9", body: nil, paytype: nil,
            paymentvalue: RawAmount(text: "0", source: .jsonNumber), clientip: "x"
        )
        let found = ScanCodeValidator.violations(in: fields)
        XCTAssertEqual(found.map(\.field), ["billnum", "billtype", "body", "paytype", "paymentvalue", "clientip"])
        guard case let .failure(error) = ScanCodeValidator.validate(fields) else { return XCTFail("must fail") }
        XCTAssertEqual(error.code, .validationFailed)
        XCTAssertEqual(error.errcode, 1002)
        XCTAssertEqual(error.httpStatus, 200)
        XCTAssertEqual(error.message, "The field billnum must be a string or array type with a maximum length of '20'.")
        XCTAssertEqual(error.violations, found)
    }

    func testEmptyFieldsReportEveryRequiredMember() {
        let found = ScanCodeValidator.violations(in: ScanCodeFields()).map(\.field)
        XCTAssertEqual(found, ["billnum", "billtype", "body", "paytype", "paymentvalue"])
    }
}

/// Which billnum a failed ScanCode may echo in its tag.
final class KnownBillnumTests: XCTestCase {
    func testOnlyAUsableBillnumIsEchoed() {
        XCTAssertEqual(ScanCodeValidator.knownBillnum(ScanCodeFields(billnum: "B1")), "B1")
        XCTAssertEqual(ScanCodeValidator.knownBillnum(ScanCodeFields(billnum: String(repeating: "x", count: 20))), String(repeating: "x", count: 20))
        XCTAssertNil(ScanCodeValidator.knownBillnum(ScanCodeFields()))
        XCTAssertNil(ScanCodeValidator.knownBillnum(ScanCodeFields(billnum: "")))
        XCTAssertNil(ScanCodeValidator.knownBillnum(ScanCodeFields(billnum: " \t\u{3000}")))
        XCTAssertNil(ScanCodeValidator.knownBillnum(ScanCodeFields(billnum: String(repeating: "x", count: 21))))
    }
}
