import PaymentModel
import TestSupport
import XCTest

final class DecimalGrammarTests: XCTestCase {
    /// The fen value of a parsed number, or nil.
    private func fen(_ value: ExactDecimal?) -> Int64? { value?.hundredths }

    func testJSONNumberTokensAreExact() {
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("5")), 500)
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("5.0")), 500)
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("88.88")), 8888)
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("5e2")), 50000)
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("1.5E-1")), 15)
        XCTAssertEqual(fen(DecimalGrammar.jsonNumber("-0.01")), -1)
        let long = DecimalGrammar.jsonNumber("0.1234567890123456789012345678")
        XCTAssertEqual(long?.digits.count, 28)
        XCTAssertEqual(long?.exponent, -28)
        XCTAssertNil(fen(long), "more than two decimals is never rounded into fen")
        XCTAssertNil(DecimalGrammar.jsonNumber("1."))
        XCTAssertNil(DecimalGrammar.jsonNumber("e5"))
        XCTAssertNil(DecimalGrammar.jsonNumber("+5"))
        XCTAssertNil(DecimalGrammar.jsonNumber("5e"))
    }

    func testNumberStyleFollowsDotNetRules() {
        XCTAssertEqual(fen(DecimalGrammar.numberStyle(" 5.10 ")), 510)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("1,000.50")), 100_050)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("1,,0,00")), 100_000, ".NET does not check group sizes")
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("5-")), -500)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("5 - ")), -500)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("\t+5")), 500)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle(".5")), 50)
        XCTAssertEqual(fen(DecimalGrammar.numberStyle("5.")), 500)
        XCTAssertNil(DecimalGrammar.numberStyle("- 5"), "no white space after a leading sign")
        XCTAssertNil(DecimalGrammar.numberStyle("-5-"), "one sign only")
        XCTAssertNil(DecimalGrammar.numberStyle(",5"), "a separator needs a digit before it")
        XCTAssertNil(DecimalGrammar.numberStyle("5.0,0"), "no separator after the point")
        XCTAssertNil(DecimalGrammar.numberStyle("1.2.3"))
        XCTAssertNil(DecimalGrammar.numberStyle("5e2"), "no exponent in NumberStyles.Number")
        XCTAssertNil(DecimalGrammar.numberStyle(""))
        XCTAssertNil(DecimalGrammar.numberStyle("."))
        XCTAssertNil(DecimalGrammar.numberStyle("５"), "full-width digits are not digits")
        XCTAssertNil(DecimalGrammar.numberStyle("\u{3000}5"), "U+3000 is not number white space")
    }

    func testFloatStyleAllowsExponentButNoSeparatorsOrTrailingSign() {
        XCTAssertEqual(fen(DecimalGrammar.floatStyle("5e2")), 50000)
        XCTAssertEqual(fen(DecimalGrammar.floatStyle("1.5E-1")), 15)
        XCTAssertEqual(fen(DecimalGrammar.floatStyle(" -2.5e+1 ")), -2500)
        XCTAssertEqual(fen(DecimalGrammar.floatStyle("0.01")), 1)
        XCTAssertNil(DecimalGrammar.floatStyle("1,000"))
        XCTAssertNil(DecimalGrammar.floatStyle("5-"))
        XCTAssertNil(DecimalGrammar.floatStyle("5e"), "an e without digits is not consumed, then refused")
        XCTAssertNil(DecimalGrammar.floatStyle("5e+"))
        XCTAssertNil(DecimalGrammar.floatStyle("abc"))
    }

    func testHugeExponentsSaturateWithoutWork() throws {
        // Work in proportion to these exponents would never end; the deadline only keeps such a parse from
        // hanging the suite.
        let parsed = Background { (DecimalGrammar.floatStyle("1e99999999999999999999999999999999"),
                                   DecimalGrammar.jsonNumber("1e-99999999999999999999999999999999")) }
        let (huge, tiny) = try parsed.value("parsing the huge exponents", seconds: 60)
        XCTAssertEqual(huge?.exponent, ExactDecimal.exponentLimit)
        XCTAssertEqual(tiny?.exponent, -ExactDecimal.exponentLimit)
        XCTAssertNil(fen(huge))
        XCTAssertNil(fen(tiny))
        XCTAssertEqual(DecimalGrammar.jsonNumber("0e999999999999")?.isZero, true)
    }

    func testNormalisationDropsLeadingAndTrailingZeros() {
        let value = DecimalGrammar.jsonNumber("000123.4500")
        XCTAssertEqual(value?.digits, [1, 2, 3, 4, 5])
        XCTAssertEqual(value?.exponent, -2)
        XCTAssertEqual(value?.decimalPlaces, 2)
        XCTAssertEqual(value?.integerDigitCount, 3)
        XCTAssertEqual(DecimalGrammar.jsonNumber("-0.000")?.isNegative, false, "negative zero is zero")
        XCTAssertEqual(Money(exactly: DecimalGrammar.jsonNumber("5.100")!), Money(fen: 510))
        XCTAssertEqual(Money(exactly: "1." + String(repeating: "0", count: 100_000)), Money(fen: 100))
        XCTAssertNil(Money(exactly: "1." + String(repeating: "0", count: 100_000) + "1"))
    }
}
