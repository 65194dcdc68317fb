import JSON
import XCTest

/// Percent-encoding of text (UTF-8) and of bytes in any encoding.
final class HexDigitTests: XCTestCase {
    func testBytesOtherThanTheUnreservedBecomeUpperCaseEscapes() {
        // "测试" in GBK, then unreserved ASCII, a space and a plus.
        let bytes: [UInt8] = [0xB2, 0xE2, 0xCA, 0xD4] + Array("Az09-_.~ +".utf8)
        XCTAssertEqual(String(decoding: HexDigit.percentEncoded(bytes: bytes), as: UTF8.self),
                       "%B2%E2%CA%D4Az09-_.~%20%2B")
        XCTAssertEqual(HexDigit.percentEncoded(bytes: []), [])
    }

    func testTextIsEncodedAsItsUTF8Bytes() {
        XCTAssertEqual(HexDigit.percentEncoded("景 a"), "%E6%99%AF%20a")
    }
}
