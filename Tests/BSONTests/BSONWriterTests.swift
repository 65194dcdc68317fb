import BSON
import XCTest

final class BSONWriterTests: XCTestCase {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testScalarsAndNesting() {
        let written = BSONWriter.document([
            BSONMember("i", .int32(1)), BSONMember("s", .string("")), BSONMember("n", .null),
            BSONMember("a", .array([.bool(false), .int64(2)])), BSONMember("d", .double(1.5)),
        ])
        XCTAssertEqual(
            hex(written),
            "39000000" + "10" + "6900" + "01000000" + "02" + "7300" + "01000000" + "00" + "0a" + "6e00"
                + "04" + "6100" + "14000000" + "08" + "3000" + "00" + "12" + "3100" + "0200000000000000" + "00"
                + "01" + "6400" + "000000000000f83f" + "00"
        )
    }

    func testStringsKeepNULAndNonASCII() throws {
        let written = BSONWriter.document([BSONMember("m", .string("a\u{0}中"))])
        XCTAssertEqual(hex(written), "12000000" + "02" + "6d00" + "06000000" + "6100e4b8ad00" + "00")
        XCTAssertEqual(try BSONReader.members(of: written, maxDepth: 1), [BSONMember("m", .string("a\u{0}中"))])
    }
}
