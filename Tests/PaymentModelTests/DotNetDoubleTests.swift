import PaymentModel
import XCTest

/// Doubles become text with the 15 significant digits .NET Framework kept.
final class DotNetDoubleTests: XCTestCase {
    func testFifteenSignificantDigits() {
        XCTAssertEqual(DotNetDouble.text(0.1 + 0.2), "0.3")
        XCTAssertEqual(DotNetDouble.text(19.99), "19.99")
        XCTAssertEqual(DotNetDouble.text(0.005), "0.005")
        XCTAssertEqual(DotNetDouble.text(5), "5")
        XCTAssertEqual(DotNetDouble.text(100_000_000), "100000000")
        XCTAssertEqual(DotNetDouble.text(1.0 / 3.0), "0.333333333333333")
        XCTAssertEqual(DotNetDouble.text(123456789012.345678), "123456789012.346")
        XCTAssertEqual(DotNetDouble.text(-2.5), "-2.5")
    }

    func testExponentsAsDotNetWroteThem() {
        XCTAssertEqual(DotNetDouble.text(1e20), "1E+20")
        XCTAssertEqual(DotNetDouble.text(1e15), "1E+15")
        XCTAssertEqual(DotNetDouble.text(123456789012345678), "1.23456789012346E+17")
        XCTAssertEqual(DotNetDouble.text(0.00001), "1E-05")
        XCTAssertEqual(DotNetDouble.text(0.0001), "0.0001")
        XCTAssertEqual(DotNetDouble.text(-Double.greatestFiniteMagnitude), "-1.79769313486232E+308")
        XCTAssertEqual(DotNetDouble.text(Double.leastNonzeroMagnitude), "4.94065645841247E-324")
    }

    func testSpecialValues() {
        XCTAssertEqual(DotNetDouble.text(-0.0), "0")
        XCTAssertEqual(DotNetDouble.text(.nan), "NaN")
        XCTAssertEqual(DotNetDouble.text(.infinity), "Infinity")
        XCTAssertEqual(DotNetDouble.text(-.infinity), "-Infinity")
    }

    /// The text is read exactly by the decimal grammar: never rounded to whole fen.
    func testTextFeedsTheExactGrammar() {
        XCTAssertEqual(DecimalGrammar.jsonNumber(DotNetDouble.text(0.1 + 0.2)).flatMap(Money.init(exactly:)), Money(fen: 30))
        XCTAssertEqual(DecimalGrammar.jsonNumber(DotNetDouble.text(1e20))?.integerDigitCount, 21)
        XCTAssertNil(DecimalGrammar.jsonNumber(DotNetDouble.text(0.005)).flatMap(Money.init(exactly:)))
        XCTAssertNil(DecimalGrammar.jsonNumber(DotNetDouble.text(.nan)))
    }
}
