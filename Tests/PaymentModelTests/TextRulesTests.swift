import PaymentModel
import XCTest

final class TextRulesTests: XCTestCase {
    func testDotNetWhiteSpaceMakesBlank() {
        for blank in ["", " ", "\t", "\r\n", "\u{3000}", "\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{1680}", " \u{2009} "] {
            XCTAssertTrue(TextRules.isBlank(blank), blank.unicodeScalars.map { String($0.value, radix: 16) }.joined())
        }
        for notBlank in ["a", "\u{200B}", "\u{FEFF}", "\u{180E}", "\u{0}"] {
            XCTAssertFalse(TextRules.isBlank(notBlank), notBlank.unicodeScalars.map { String($0.value, radix: 16) }.joined())
        }
    }

    func testLengthsAreUTF16Units() {
        XCTAssertEqual(TextRules.utf16Length("中文a"), 3)
        XCTAssertEqual(TextRules.utf16Length("😀"), 2)
        XCTAssertEqual(TextRules.utf16Length("e\u{301}"), 2)
    }

    func testTrimming() {
        XCTAssertEqual(TextRules.trimmingWhiteSpace("\u{3000} 5.10\t"), "5.10")
        XCTAssertEqual(TextRules.trimmingWhiteSpace("  "), "")
    }
}
