import ContentNegotiation
import PaymentModel
import XCTest

final class JSONDecodingTests: XCTestCase {
    private let json = "application/json"

    func testSeedSampleDecodesAndValidates() throws {
        let body = """
        {
          "billnum": "B20180101001",
          "billtype": "2",
          "body": "sample string 3",
          "paytype": "01",
          "paymentvalue": 5.0,
          "detail": "sample string 6",
          "clientip": "10.0.0.8",
          "cardno": "sample string 8"
        }
        """
        let decoded = try XCTUnwrap(fields(json, Body.utf8(body)))
        XCTAssertEqual(decoded.billnum, "B20180101001")
        XCTAssertEqual(decoded.paymentvalue, RawAmount(text: "5.0", source: .jsonNumber))
        XCTAssertEqual(decoded.cardno, "sample string 8")
        let request = try ScanCodeValidator.validate(decoded).get()
        XCTAssertEqual(request.paymentvalue, Money(fen: 500))
        XCTAssertEqual(request.billtype, .pointOfSale)
    }

    func testNamesExactThenCaseInsensitiveLastWins() {
        let decoded = fields(json, Body.utf8(#"{"billnum":"a","BILLNUM":"b","BillType":"3","unknown":{"x":[1,2]}}"#))
        XCTAssertEqual(decoded?.billnum, "b")
        XCTAssertEqual(decoded?.billtype, "3")
        XCTAssertEqual(fields(json, Body.utf8(#"{"billnum":"a","billnum":null}"#))?.billnum, nil)
    }

    func testScalarsForStringMembersKeepTheirText() {
        let decoded = fields(json, Body.utf8(#"{"billnum":12345,"paytype":true,"body":1.50,"detail":false}"#))
        XCTAssertEqual(decoded?.billnum, "12345")
        XCTAssertEqual(decoded?.paytype, "True")
        XCTAssertEqual(decoded?.body, "1.50")
        XCTAssertEqual(decoded?.detail, "False")
    }

    func testAmountKinds() {
        XCTAssertEqual(fields(json, Body.utf8(#"{"paymentvalue":"1,000.50"}"#))?.paymentvalue, RawAmount(text: "1,000.50", source: .jsonString))
        XCTAssertEqual(fields(json, Body.utf8(#"{"paymentvalue":1e-1}"#))?.paymentvalue, RawAmount(text: "1e-1", source: .jsonNumber))
        XCTAssertEqual(fields(json, Body.utf8(#"{"paymentvalue":true}"#))?.paymentvalue, RawAmount(text: "True", source: .boolean))
        XCTAssertNil(fields(json, Body.utf8(#"{"paymentvalue":null}"#))?.paymentvalue)
        let exact = "0.1234567890123456789012345678"
        XCTAssertEqual(fields(json, Body.utf8(#"{"paymentvalue":\#(exact)}"#))?.paymentvalue?.text, exact)
    }

    func testHugeExponentIsAValidationErrorNotAHang() throws {
        let body = #"{"billnum":"B1","billtype":"1","body":"b","paytype":"01","paymentvalue":1e999999999999999999}"#
        let decoded = try XCTUnwrap(fields(json, Body.utf8(body)))
        guard case let .failure(error) = ScanCodeValidator.validate(decoded) else { return XCTFail("must fail") }
        XCTAssertEqual(error.errcode, 1002)
        XCTAssertEqual(error.message, "The field paymentvalue must not exceed 100000000.00.")
    }

    func testObjectOrArrayForAMemberIsUnreadable() {
        XCTAssertEqual(failure(json, Body.utf8(#"{"billnum":{"a":1}}"#))?.errcode, 1001)
        XCTAssertEqual(failure(json, Body.utf8(#"{"paymentvalue":[5]}"#))?.errcode, 1001)
    }

    func testStrictSyntax() {
        let refused = [
            #"{"billnum":"a",}"#, #"{'billnum':'a'}"#, #"{billnum:"a"}"#, #"{"billnum":"a"} // c"#,
            #"{/* c */"billnum":"a"}"#, #"{"billnum":"a"} x"#, #"{"billnum":"a""#, #"{"billnum":01}"#,
            #"{"billnum":"a\x"}"#, #"{"billnum":"\ud800"}"#, #"{"billnum":"\u0000"}"#, "{\"billnum\":\"a\u{01}\"}",
            #"[1,2]"#, #""text""#, #"{"a":[1,]}"#, #"{"billnum":.5}"#, #"{"billnum":tru}"#, "{",
        ]
        for body in refused {
            let error = failure(json, Body.utf8(body))
            XCTAssertEqual(error?.errcode, 1001, body)
            XCTAssertEqual(error?.message.hasPrefix("The request body could not be read: invalid JSON"), true, body)
        }
        XCTAssertEqual(fields(json, Body.utf8(#"{"detail":"\ud83d\ude00 \u00e9\/"}"#))?.detail, "😀 é/")
    }

    func testEmptyWhitespaceAndNullAreEmptyBody() {
        XCTAssertEqual(failure(json, [])?.errcode, 1007)
        XCTAssertEqual(failure(json, Body.utf8(" \r\n\t"))?.errcode, 1007)
        XCTAssertEqual(failure(json, Body.utf8(" null "))?.errcode, 1007)
        XCTAssertEqual(fields(json, Body.utf8("{}")), ScanCodeFields())
    }

    func testDeepNestingIsRefusedWithoutRecursionBlowUp() {
        let deep = "{\"x\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        let error = failure(json, Body.utf8(deep))
        XCTAssertEqual(error?.errcode, 1001)
        XCTAssertEqual(error?.message.contains("nested deeper"), true)
        let unclosed = String(repeating: "[", count: 50_000)
        XCTAssertEqual(failure(json, Body.utf8(unclosed))?.errcode, 1001)
        let fine = "{\"x\":" + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + "}"
        XCTAssertNotNil(fields(json, Body.utf8(fine)))
    }

    func testInvalidUTF8OverlongAndNUL() {
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":""#) + [0xFF] + Body.utf8(#""}"#))?.errcode, 1003)
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":""#) + [0xC0, 0xAF] + Body.utf8(#""}"#))?.errcode, 1003, "overlong '/'")
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":""#) + [0xE0, 0x80, 0xAF] + Body.utf8(#""}"#))?.errcode, 1003)
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":""#) + [0xED, 0xA0, 0x80] + Body.utf8(#""}"#))?.errcode, 1003, "surrogate")
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":""#) + [0xE4, 0xB8] + Body.utf8(#""}"#))?.errcode, 1003, "truncated")
        XCTAssertEqual(failure(json, Body.utf8(#"{"body":"a"#) + [0x00] + Body.utf8(#""}"#))?.errcode, 1003, "NUL byte")
        XCTAssertEqual(failure(json, Body.utf8("{}") + [0x00])?.errcode, 1003)
    }

    func testGBKDeclaredBodies() {
        // {"body":"门票"} in GBK.
        let gbk: [UInt8] = Body.utf8(#"{"body":""#) + [0xC3, 0xC5, 0xC6, 0xB1] + Body.utf8(#""}"#)
        XCTAssertEqual(fields("application/json; charset=GBK", gbk)?.body, "门票")
        XCTAssertEqual(fields("application/json; charset=gb2312", gbk)?.body, "门票")
        XCTAssertEqual(failure("application/json", gbk)?.errcode, 1003, "undeclared GBK is invalid UTF-8")
        // Labelled GBK but really UTF-8: UTF-8 is tried first.
        XCTAssertEqual(fields("application/json; charset=gbk", Body.utf8(#"{"body":"门票"}"#))?.body, "门票")
        // GB18030 four-byte sequence (€ = A2E3 is two-byte; ÿ = 81 30 8B 37 is four-byte).
        XCTAssertEqual(fields("application/json; charset=GB18030", Body.utf8(#"{"body":""#) + [0x81, 0x30, 0x8B, 0x37] + Body.utf8(#""}"#))?.body, "ÿ")
        // A lone lead byte is invalid GB18030 as well.
        XCTAssertEqual(failure("application/json; charset=gbk", Body.utf8(#"{"body":""#) + [0xC3] + Body.utf8(#""}"#))?.errcode, 1003)
    }

    func testBOMWinsAndUTF16() {
        let utf16LE: [UInt8] = [0xFF, 0xFE] + #"{"body":"中"}"#.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        XCTAssertEqual(fields("application/json; charset=utf-8", utf16LE)?.body, "中")
        let utf16BE: [UInt8] = [0xFE, 0xFF] + #"{"body":"中"}"#.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        XCTAssertEqual(fields("application/json", utf16BE)?.body, "中")
        let noBOM: [UInt8] = #"{"body":"中"}"#.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        XCTAssertEqual(fields("application/json; charset=utf-16", noBOM)?.body, "中", ".NET utf-16 is little-endian")
        XCTAssertEqual(fields("application/json", [0xEF, 0xBB, 0xBF] + Body.utf8(#"{"body":"x"}"#))?.body, "x")
        XCTAssertEqual(failure("application/json; charset=utf-16le", [0x7B, 0x00, 0x00, 0xD8, 0x7D, 0x00])?.errcode, 1003, "lone surrogate")
    }

    func testCharsets() {
        XCTAssertEqual(failure("application/json; charset=klingon", Body.utf8("{}"))?.errcode, 1003)
        XCTAssertEqual(failure("application/json; charset=\"utf-8//IGNORE\"", Body.utf8("{}"))?.errcode, 1003)
        XCTAssertEqual(fields("application/json; charset=iso-8859-1", Body.utf8(#"{"body":""#) + [0xE9] + Body.utf8(#""}"#))?.body, "é")
        XCTAssertEqual(failure("application/json; charset=us-ascii", Body.utf8(#"{"body":""#) + [0xE9] + Body.utf8(#""}"#))?.errcode, 1003)
        XCTAssertEqual(fields("text/json; charset=UTF8", Body.utf8(#"{"body":"é"}"#))?.body, "é")
    }
}
