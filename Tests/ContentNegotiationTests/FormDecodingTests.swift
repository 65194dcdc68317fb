import ContentNegotiation
import PaymentModel
import XCTest

final class FormDecodingTests: XCTestCase {
    private let form = "application/x-www-form-urlencoded; charset=UTF-8"

    func testTypicalLegacyPost() throws {
        let body = "billnum=20180101001&billtype=2&body=%E9%97%A8%E7%A5%A8&paytype=01&paymentvalue=0.01&clientip=10.0.0.8"
        let decoded = try XCTUnwrap(fields(form, Body.utf8(body)))
        XCTAssertEqual(decoded.body, "门票")
        XCTAssertEqual(decoded.paymentvalue, RawAmount(text: "0.01", source: .formValue))
        let request = try ScanCodeValidator.validate(decoded).get()
        XCTAssertEqual(request.paymentvalue, Money(fen: 1))
        XCTAssertEqual(request.clientip, "10.0.0.8")
    }

    func testKeysCaseInsensitiveFirstWinsBlankIsNil() {
        let decoded = fields(form, Body.utf8("BillNum=a+b&billnum=second&paytype=&paytype=01&body=%20%09&detail&cardno=x%2By&parm[billtype]=1"))
        XCTAssertEqual(decoded?.billnum, "a b")
        XCTAssertNil(decoded?.paytype, "first value wins even when empty")
        XCTAssertNil(decoded?.body, "white space only = absent")
        XCTAssertNil(decoded?.detail)
        XCTAssertEqual(decoded?.cardno, "x+y")
        XCTAssertNil(decoded?.billtype, "bracketed keys do not bind")
        XCTAssertEqual(fields(form, Body.utf8("body=100%&detail=%zz%4"))?.body, "100%", "stray % stays")
        XCTAssertEqual(fields(form, Body.utf8("body=100%&detail=%zz%4"))?.detail, "%zz%4")
    }

    func testExponentAmountAndSeparatorRefusal() throws {
        let base = "billnum=B1&billtype=1&body=b&paytype=01&paymentvalue="
        let request = try ScanCodeValidator.validate(try XCTUnwrap(fields(form, Body.utf8(base + "5e2")))).get()
        XCTAssertEqual(request.paymentvalue, Money(fen: 50000))
        let refused = try XCTUnwrap(fields(form, Body.utf8(base + "1%2C000")))
        guard case let .failure(error) = ScanCodeValidator.validate(refused) else { return XCTFail("must fail") }
        XCTAssertEqual(error.message, "The value '1,000' is not valid for paymentvalue.")
    }

    func testGBKForm() {
        // body=门票 percent-encoded in GBK, and raw GBK bytes in detail.
        let body = Body.utf8("body=%C3%C5%C6%B1&detail=") + [0xD6, 0xD0, 0xCE, 0xC4]
        let decoded = fields("application/x-www-form-urlencoded; charset=gbk", body)
        XCTAssertEqual(decoded?.body, "门票")
        XCTAssertEqual(decoded?.detail, "中文")
        XCTAssertEqual(fields("application/x-www-form-urlencoded; charset=GB18030", Body.utf8("body=%E9%97%A8%E7%A5%A8"))?.body, "门票",
                       "labelled GBK but UTF-8 bytes")
        XCTAssertEqual(failure("application/x-www-form-urlencoded", Body.utf8("body=%C3%C5%C6%B1"))?.errcode, 1003,
                       "GBK bytes without a charset are invalid UTF-8")
    }

    func testCharsetErrors() {
        XCTAssertEqual(failure("application/x-www-form-urlencoded; charset=utf-16", Body.utf8("body=x"))?.errcode, 1003)
        XCTAssertEqual(failure("application/x-www-form-urlencoded; charset=nonesuch", Body.utf8("body=x"))?.errcode, 1003)
        XCTAssertEqual(failure(form, Body.utf8("body=a%00b"))?.errcode, 1003, "NUL")
        XCTAssertEqual(failure(form, Body.utf8("body=%C0%AF"))?.errcode, 1003, "overlong")
        XCTAssertEqual(failure(form, Body.utf8("body=%FF"))?.errcode, 1003)
    }

    func testEmptyForms() {
        XCTAssertEqual(failure(form, Body.utf8(" "))?.errcode, 1007)
        XCTAssertEqual(fields(form, Body.utf8("&&")), ScanCodeFields())
    }
}
