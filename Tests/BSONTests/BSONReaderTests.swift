import BSON
import XCTest

final class BSONReaderTests: XCTestCase {
    /// Bytes from hex with spaces.
    func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// A document: the elements and terminator in hex, preceded by the right length.
    func framed(_ hex: String) -> [UInt8] {
        let body = bytes(hex)
        return withUnsafeBytes(of: UInt32(body.count + 4).littleEndian, Array.init) + body
    }

    func testReadsEveryScalarTypeInOrder() throws {
        let document = BSONWriter.document([
            BSONMember("d", .double(0.1 + 0.2)), BSONMember("s", .string("门票\u{0}x")), BSONMember("t", .bool(true)),
            BSONMember("n", .null), BSONMember("i", .int32(-7)), BSONMember("l", .int64(1 << 40)),
            BSONMember("o", .document([BSONMember("a", .array([.int32(1), .string("")]))])), BSONMember("d", .double(5)),
        ])
        let members = try BSONReader.members(of: document, maxDepth: 4)
        XCTAssertEqual(members.map(\.name), ["d", "s", "t", "n", "i", "l", "o", "d"])
        XCTAssertEqual(members[0].value, .double(0.1 + 0.2))
        XCTAssertEqual(members[1].value, .string("门票\u{0}x"))
        XCTAssertEqual(members[6].value, .document([BSONMember("a", .array([.int32(1), .string("")]))]))
        XCTAssertEqual(members[7].value, .double(5))
    }

    func testOtherTypesAreReadAsUnsupported() throws {
        // {"a": Decimal128(1), "b": ObjectId, "c": UTC datetime 0}
        let body = framed("""
            13 6100 01000000000000000000000000004030 07 6200 000000000000000000000000
            09 6300 0000000000000000 00
            """)
        let members = try BSONReader.members(of: body, maxDepth: 2)
        XCTAssertEqual(members.map(\.value), [.unsupported(typeCode: 0x13), .unsupported(typeCode: 0x07), .unsupported(typeCode: 0x09)])
        XCTAssertTrue(BSONValue.document(members).contains(typeCode: BSONValue.decimal128TypeCode))
    }

    func testWholeDocumentDefects() {
        XCTAssertThrowsError(try BSONReader.members(of: [], maxDepth: 2))
        XCTAssertThrowsError(try BSONReader.members(of: bytes("05000000"), maxDepth: 2)) { error in
            XCTAssertEqual(error as? BSONReadError, .malformed(reason: "4 bytes are shorter than the smallest document (5)", offset: 0))
        }
        XCTAssertThrowsError(try BSONReader.members(of: bytes("ffffff7f 00"), maxDepth: 2)) { error in
            XCTAssertEqual(error as? BSONReadError, .malformed(reason: "the document declares 2147483647 bytes but 5 arrived", offset: 0))
        }
        XCTAssertThrowsError(try BSONReader.members(of: bytes("05000000 01"), maxDepth: 2)) { error in
            XCTAssertEqual(error as? BSONReadError, .malformed(reason: "the document does not end with a NUL byte", offset: 4))
        }
        XCTAssertEqual(try BSONReader.members(of: bytes("05000000 00"), maxDepth: 1), [])
    }

    func testElementDefects() {
        let cases: [(String, String)] = [
            ("string length beyond the document", "02 6100 ff000000 78797a00 00"),
            ("string without its NUL", "02 6100 02000000 7878 00"),
            ("string of length 0", "02 6100 00000000 00 00"),
            ("unknown type code 0x20", "20 6100 00000000 00"),
            ("premature end of document", "10 6100 01000000 00 00"),
            ("double cut short", "01 6100 00000000 00"),
            ("embedded document length too large", "03 6100 ff000000 00 00"),
            ("embedded document length too small", "03 6100 04000000 00 00"),
            ("embedded document without its terminator", "03 6100 06000000 0a00 00"),
            ("key without its NUL", "0a 616161"),
            ("boolean that is neither 0 nor 1", "08 6100 02 00"),
        ]
        for (name, hex) in cases {
            XCTAssertThrowsError(try BSONReader.members(of: framed(hex), maxDepth: 4), name) { error in
                guard case .malformed = error as? BSONReadError else { return XCTFail("\(name): \(error)") }
            }
        }
    }

    func testInvalidUTF8InKeysAndStrings() {
        XCTAssertThrowsError(try BSONReader.members(of: framed("0a ff00 0a 6200 00"), maxDepth: 2)) { error in
            XCTAssertEqual(error as? BSONReadError, .invalidUTF8(offset: 4))
        }
        XCTAssertThrowsError(try BSONReader.members(of: framed("0a 6100 02 6200 03000000 c32800 00"), maxDepth: 2)) { error in
            XCTAssertEqual(error as? BSONReadError, .invalidUTF8(offset: 7))
        }
    }

    /// Nesting beyond the limit is refused at the first level too deep, without reading further.
    func testDepthLimit() {
        func nested(_ levels: Int) -> [UInt8] {
            var value = BSONValue.int32(1)
            for _ in 0..<levels { value = .document([BSONMember("a", value)]) }
            guard case .document(let members) = value else { return [] }
            return BSONWriter.document(members)
        }
        XCTAssertNoThrow(try BSONReader.members(of: nested(4), maxDepth: 4))
        XCTAssertThrowsError(try BSONReader.members(of: nested(5), maxDepth: 4)) { error in
            XCTAssertEqual(error as? BSONReadError, .tooDeep(limit: 4, offset: 4 + 7 * 3))
        }
    }

    /// A 64 KB depth bomb (thousands of nested empty-keyed documents) is refused, not walked to the bottom.
    func testDepthBombIsRefusedQuickly() {
        // Each level: its length, one element (type 0x03, empty key, the next level), the terminator.
        var bomb: [UInt8] = [5, 0, 0, 0, 0]
        for _ in 0..<9_000 {
            bomb = withUnsafeBytes(of: UInt32(bomb.count + 7).littleEndian, Array.init) + [0x03, 0x00] + bomb + [0x00]
        }
        XCTAssertGreaterThan(bomb.count, 60_000)
        // The element of level n starts at 4 + 6 × (n - 1); entering level 33 from level 32 is refused.
        XCTAssertThrowsError(try BSONReader.members(of: bomb, maxDepth: 32)) { error in
            XCTAssertEqual(error as? BSONReadError, .tooDeep(limit: 32, offset: 4 + 6 * 31))
        }
    }

    /// A document or array with more members than the limit is refused at the first one too many.
    func testMembersPerDocumentLimit() {
        // {"a": null, "b": {"c": null, "d": [null, null, null]}}
        let document = framed("0a 6100  03 6200 19000000 0a 6300  04 6400 0e000000 0a 3000 0a 3100 0a 3200 00  00  00")
        XCTAssertNoThrow(try BSONReader.members(of: document, maxDepth: 3, maxMembers: 3))
        XCTAssertThrowsError(try BSONReader.members(of: document, maxDepth: 3, maxMembers: 2)) { error in
            // The array's third element: its type byte, after the array's length and two 3-byte elements.
            XCTAssertEqual(error as? BSONReadError, .tooManyMembers(limit: 2, offset: 4 + 3 + 3 + 4 + 3 + 3 + 4 + 3 + 3, inArray: true))
        }
        XCTAssertThrowsError(try BSONReader.members(of: document, maxDepth: 3, maxMembers: 1)) { error in
            XCTAssertEqual(error as? BSONReadError, .tooManyMembers(limit: 1, offset: 7, inArray: false), "the root's \"b\"")
        }
    }
}
