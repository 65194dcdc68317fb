import ContentNegotiation
import PaymentModel
import XCTest

/// Charsets whose single bytes expand to many UTF-8 bytes still decode completely.
final class CharsetExpansionTests: XCTestCase {
    func testTSCIISyllablesExpandingTwelveFoldDecode() throws {
        // TSCII 0x82 is a Tamil syllable of four code points: 12 bytes of UTF-8 for one input byte.
        let body = Array(#"{"body":""#.utf8) + [UInt8](repeating: 0x82, count: 20) + Array(#""}"#.utf8)
        let fields = try decodeScanCode(contentType: "application/json; charset=TSCII", body: body).get()
        let text = try XCTUnwrap(fields.body)
        XCTAssertEqual(text.utf8.count, 240)
        XCTAssertEqual(text.unicodeScalars.count, 80)
    }
}
