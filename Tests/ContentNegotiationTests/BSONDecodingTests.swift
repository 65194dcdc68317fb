import BSON
import ContentNegotiation
import PaymentModel
@testable import ThreePayApp
import XCTest

/// BSON request bodies: the fixtures PyMongo encoded, and malformed documents.
final class BSONDecodingTests: XCTestCase {
    private let bson = "application/bson"

    /// Decodes against the fixture's schema and validates as the endpoint does; the errcode and errmsg of a
    /// refusal, or the decoded members and (ScanCode) the amount in fen.
    private func outcome(_ request: BSONFixtures.Request) throws -> (fields: DecodedFields?, fen: Int64?, error: ServiceError?) {
        let schema = request.schema == "query" ? BillLookupRequest.schema : ScanCodeContract.schema
        let decoded: DecodedFields
        switch RequestBodyDecoder.decode(contentType: bson, body: Hex.bytes(request.bson), schema: schema) {
        case .success(let fields): decoded = fields
        case .failure(let error): return (nil, nil, error)
        }
        guard request.schema == "scancode" else { return (decoded, nil, nil) }
        switch ScanCodeValidator.validate(ScanCodeFields(decoded: decoded)) {
        case .success(let bill): return (decoded, bill.paymentvalue.fen, nil)
        case .failure(let error): return (decoded, nil, error)
        }
    }

    func testEveryFixtureRequest() throws {
        let fixtures = try BSONFixtures.load()
        XCTAssertGreaterThanOrEqual(fixtures.requests.count, 25)
        for request in fixtures.requests {
            let (fields, fen, error) = try outcome(request)
            XCTAssertEqual(error?.errcode ?? 0, request.errcode, "\(request.name): \(error?.message ?? "accepted")")
            if let message = request.message {
                XCTAssertTrue(error?.message.contains(message) == true, "\(request.name): '\(error?.message ?? "")' lacks '\(message)'")
            }
            for (member, text) in request.fields ?? [:] {
                XCTAssertEqual(fields?.string(member), text, "\(request.name): \(member)")
            }
            XCTAssertEqual(fen, request.fen, request.name)
            XCTAssertEqual(fields.map { $0.format }, fields == nil ? nil : .bson, request.name)
        }
    }

    /// The amount types side by side: the text each becomes, its source, and the verdict.
    func testAmountTypes() throws {
        func amount(_ value: BSONValue) throws -> RawAmount? {
            let body = BSONWriter.document([BSONMember("paymentvalue", value)])
            return try decodeScanCode(contentType: bson, body: body).get().paymentvalue
        }
        XCTAssertEqual(try amount(.double(0.1 + 0.2)), RawAmount(text: "0.3", source: .bsonNumber))
        XCTAssertEqual(try amount(.double(19.99)), RawAmount(text: "19.99", source: .bsonNumber))
        XCTAssertEqual(try amount(.double(0.005)), RawAmount(text: "0.005", source: .bsonNumber))
        XCTAssertEqual(try amount(.double(-0.0)), RawAmount(text: "0", source: .bsonNumber))
        XCTAssertEqual(try amount(.double(123456789.125)), RawAmount(text: "123456789.125", source: .bsonNumber))
        XCTAssertEqual(try amount(.int32(5)), RawAmount(text: "5", source: .bsonNumber))
        XCTAssertEqual(try amount(.int64(-9_000_000_000)), RawAmount(text: "-9000000000", source: .bsonNumber))
        XCTAssertEqual(try amount(.string("5.10")), RawAmount(text: "5.10", source: .bsonString))
        XCTAssertEqual(try amount(.bool(false)), RawAmount(text: "False", source: .boolean))
        XCTAssertNil(try amount(.null))
        XCTAssertEqual(RawAmount(text: "0.3", source: .bsonNumber).parsed().flatMap(Money.init(exactly:)), Money(fen: 30))
        XCTAssertEqual(RawAmount(text: "5.10", source: .bsonString).parsed().flatMap(Money.init(exactly:)), Money(fen: 510))
        XCTAssertEqual(
            AmountRules.violations(RawAmount(text: "0.005", source: .bsonNumber), field: "paymentvalue", maximum: .alipayMaximum),
            [ValidationViolation(field: "paymentvalue", message: "The field paymentvalue must have at most 2 decimal places (whole fen).")]
        )
    }

    func testDecimal128IsRefusedWith1001() {
        // {"paymentvalue": Decimal128("5")} written by hand: type 0x13, 16 bytes.
        let body = Hex.document("13 7061796d656e7476616c756500 05000000000000000000000000004030 00")
        let error = failure(bson, body)
        XCTAssertEqual(error?.errcode, 1001)
        XCTAssertEqual(
            error?.message,
            "The request body could not be read: BSON Decimal128 values are not supported; send the amount as a double, int32, int64 or string."
        )
    }

    func testCharsetParameterIsIgnored() {
        let body = BSONWriter.document([BSONMember("body", .string("门票"))])
        XCTAssertEqual(fields("application/bson; charset=gbk", body)?.body, "门票")
        XCTAssertEqual(fields("Application/BSON; charset=utf-16", body)?.body, "门票")
    }

    func testTextDefects() {
        let nul = BSONWriter.document([BSONMember("billnum", .string("B\u{0}1"))])
        XCTAssertEqual(failure(bson, nul)?.errcode, 1003)
        XCTAssertEqual(failure(bson, nul)?.message, "The request body contains a NUL character; send text only.")
        let unknownWithNUL = BSONWriter.document([BSONMember("x", .string("\u{0}")), BSONMember("billnum", .string("B1"))])
        XCTAssertEqual(fields(bson, unknownWithNUL)?.billnum, "B1", "unknown members are not read")
        // {"body": "\xc3\x28"}: not UTF-8.
        let invalid = Hex.document("02 626f647900 03000000 c32800 00")
        XCTAssertEqual(failure(bson, invalid)?.errcode, 1003)
    }

    func testMalformedDocumentsAre1001() {
        let valid = BSONWriter.document([BSONMember("billnum", .string("B1")), BSONMember("paymentvalue", .double(5))])
        var badLength = valid
        badLength[0] &+= 1
        var hugeLength = valid
        hugeLength.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F])
        var badStringLength = valid
        badStringLength[4 + 1 + 8] = 0xFF  // the length of "B1"
        let cases: [(String, [UInt8])] = [
            ("truncated", Array(valid.dropLast(3))),
            ("declared length one more than the body", badLength),
            ("declared length 2 GiB", hugeLength),
            ("string length beyond the document", badStringLength),
            ("JSON text", Body.utf8(#"{"billnum":"B1"}"#)),
            ("four bytes", [5, 0, 0, 0]),
            ("trailing bytes after the document", valid + [0]),
        ]
        for (name, body) in cases {
            let error = failure(bson, body)
            XCTAssertEqual(error?.errcode, 1001, name)
            XCTAssertTrue(error?.message.hasPrefix("The request body could not be read: invalid BSON") == true, "\(name): \(error?.message ?? "")")
        }
    }

    func testMemberKindsRefused() {
        let cases: [(BSONValue, String)] = [
            (.document([]), "an embedded document"), (.array([.int32(1)]), "an array"),
        ]
        for (value, kind) in cases {
            let body = BSONWriter.document([BSONMember("billnum", value)])
            XCTAssertEqual(failure(bson, body)?.message, "The request body could not be read: the member 'billnum' must be a string or a number, not \(kind).")
        }
    }

    /// A 64 KB document nested thousands of levels deep is refused at level 33, where the reader stops; a
    /// document of 256 sibling documents is read whole, one of thousands is refused at the 257th.
    func testDepthBombIsRefused() {
        var bomb: [UInt8] = [5, 0, 0, 0, 0]
        while bomb.count < 65_000 {
            bomb = withUnsafeBytes(of: UInt32(bomb.count + 7).littleEndian, Array.init) + [0x03, 0x00] + bomb + [0x00]
        }
        let error = failure(bson, bomb)
        XCTAssertEqual(error?.errcode, 1001)
        XCTAssertEqual(error?.message, "The request body could not be read: invalid BSON, documents nested deeper than 32 levels (at byte 190).")
        let sibling = { (index: Int) in BSONMember("k\(index)", .document([BSONMember("", .null)])) }
        XCTAssertEqual(fields(bson, BSONWriter.document((0..<256).map(sibling)))?.billnum, nil, "shallow documents are read and ignored")
        XCTAssertEqual(
            failure(bson, BSONWriter.document((0..<3_000).map(sibling)))?.message,
            "The request body could not be read: more than 256 members in one BSON document (at byte 3222); send only the documented members."
        )
    }
}
