@testable import ContentNegotiation
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

/// The iconv loop: the output buffer starts near the input size and grows when iconv reports it full.
final class IconvTranscoderTests: XCTestCase {
    func testOutputGrowsAsOftenAsNeeded() throws {
        // 5,000 TSCII bytes of four-code-point syllables: 60,000 bytes of UTF-8, several doublings of the buffer.
        let syllable = try IconvTranscoder.utf8(from: [0x82], charset: "TSCII").get()
        XCTAssertEqual(syllable.count, 12)
        // Every length puts the first buffer's end somewhere else inside a syllable; glibc's TSCII converter garbles
        // a syllable split by a full buffer, so each must come out whole.
        for count in Array(1...64) + [5_000] {
            let text = try IconvTranscoder.utf8(from: [UInt8](repeating: 0x82, count: count), charset: "TSCII").get()
            XCTAssertEqual(text, Array([[UInt8]](repeating: syllable, count: count).joined()), "\(count)")
        }
    }

    func testSizesAroundTheFirstBuffer() throws {
        // 门 in GB18030 is C3 C5, three bytes of UTF-8: n characters fill 3n of the 3n + 16 first bytes.
        for count in [0, 1, 5, 6, 7, 100, 10_000] {
            let gb: [UInt8] = Array([[UInt8]](repeating: [0xC3, 0xC5], count: count).joined())
            let utf8 = try IconvTranscoder.utf8(from: gb, charset: "GB18030").get()
            XCTAssertEqual(utf8, Array(String(repeating: "门", count: count).utf8), "\(count)")
        }
        // ISO-8859-1 turns half of these bytes into two bytes of UTF-8: 1.5 times the input, the first buffer exactly
        // but for its 16 spare bytes.
        let latin: [UInt8] = Array([[UInt8]](repeating: [0x41, 0xE9], count: 20_000).joined())
        let decoded = try IconvTranscoder.utf8(from: latin, charset: "ISO-8859-1").get()
        XCTAssertEqual(decoded, Array(String(repeating: "Aé", count: 20_000).utf8))
    }

    func testInvalidAndTruncatedInputFailWhereverTheBufferStands() {
        XCTAssertEqual(IconvTranscoder.utf8(from: [0xC3], charset: "GB18030"), .failure(.invalidBytes), "truncated")
        let long = [UInt8](repeating: 0x82, count: 3_000) + [0xFF]
        XCTAssertEqual(IconvTranscoder.utf8(from: long, charset: "TSCII").map(\.count), .failure(.invalidBytes))
        XCTAssertEqual(IconvTranscoder.utf8(from: [0x41], charset: "no-such-charset"), .failure(.unknownCharset))
    }

    func testStatefulCharsetRoundTrips() throws {
        // ISO-2022-JP switches to JIS X 0208 with ESC $ B and back with ESC ( B.
        let jis: [UInt8] = [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x1B, 0x28, 0x42, 0x41]
        XCTAssertEqual(try IconvTranscoder.utf8(from: jis, charset: "ISO-2022-JP").get(), Array("日本A".utf8))
    }
}
