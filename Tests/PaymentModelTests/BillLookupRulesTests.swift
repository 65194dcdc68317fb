import PaymentModel
import XCTest

/// Which bill a Query or Cancel names, checked before any lookup.
final class BillLookupRulesTests: XCTestCase {
    private func check(billnum: String? = nil, billtype: String? = nil, autoid: String? = nil) -> Result<BillLookupRules.Key, ServiceError> {
        BillLookupRules.validate(billnum: billnum, billtype: billtype, autoid: autoid)
    }

    private func message(billnum: String? = nil, billtype: String? = nil, autoid: String? = nil) -> String? {
        guard case .failure(let error) = check(billnum: billnum, billtype: billtype, autoid: autoid) else { return nil }
        XCTAssertEqual(error.errcode, 1002)
        return error.message
    }

    func testValidKeys() {
        XCTAssertEqual(try check(billnum: "B1", billtype: "2").get(), .bill(billtype: .pointOfSale, billnum: "B1"))
        XCTAssertEqual(try check(autoid: " 42 ").get(), .autoid(42))
        XCTAssertEqual(try check(billnum: "B1", billtype: "2", autoid: "7").get(), .autoid(7), "autoid wins")
        XCTAssertEqual(try check(billnum: String(repeating: "9", count: 20), billtype: "7").get(),
                       .bill(billtype: .storedValueCardRecharge, billnum: String(repeating: "9", count: 20)))
        XCTAssertEqual(try check(billnum: String(repeating: "x", count: 18) + "😀", billtype: "1").get(),
                       .bill(billtype: .scenicArea, billnum: String(repeating: "x", count: 18) + "😀"))
    }

    func testLengthsAreCheckedWithoutEchoingTheValue() {
        let maxLength = "The field billnum must be a string or array type with a maximum length of '20'."
        for billnum in [String(repeating: "x", count: 21), String(repeating: "y", count: 256), String(repeating: "z", count: 10_000),
                        String(repeating: "x", count: 19) + "😀"] {
            XCTAssertEqual(message(billnum: billnum, billtype: "2"), maxLength)
            XCTAssertEqual(message(billnum: billnum, autoid: "1"), maxLength, "checked even when autoid names the bill")
        }
        let longType = String(repeating: "2", count: 300)
        XCTAssertEqual(message(billnum: "B1", billtype: longType), "The field billtype must be one of 1-7 (or give autoid).")
        let longID = String(repeating: "1", count: 300)
        XCTAssertEqual(message(autoid: longID), "The field autoid must be a positive whole number.")
    }

    func testRequiredAndInvalidMembers() {
        XCTAssertEqual(message(), "The billnum field is required (or give autoid).")
        XCTAssertEqual(message(billnum: " \u{3000}", billtype: "2"), "The billnum field is required (or give autoid).")
        XCTAssertEqual(message(billnum: "B1"), "The field billtype must be one of 1-7 (or give autoid).")
        XCTAssertEqual(message(billnum: "B1", billtype: "8"), "The field billtype must be one of 1-7 (or give autoid).")
        XCTAssertEqual(message(autoid: "0"), "The field autoid must be a positive whole number.")
        XCTAssertEqual(message(autoid: "-3"), "The field autoid must be a positive whole number.")
        XCTAssertEqual(message(autoid: "4.2"), "The field autoid must be a positive whole number.")
        XCTAssertEqual(message(autoid: "99999999999999999999"), "The field autoid must be a positive whole number.")
    }
}
