import BSON
import ContentNegotiation
import PaymentModel
import XCTest

/// The counts in `DecodingLimits`, format by format: a body exactly at a cap is read (and its members bound),
/// one more is refused with 1001 naming the cap and where the first one too many starts.
final class DecodingLimitsTests: XCTestCase {
    private let limits = DecodingLimits()
    private let xml = "application/xml"
    private let json = "application/json"
    private let form = "application/x-www-form-urlencoded"
    private let bson = "application/bson"
    private let namespace = ScanCodeContract.xmlNamespace

    /// The errmsg for a body one over a cap.
    private func overLimit(_ what: String, at offset: Int, subject: String = "The request body") -> String {
        "\(subject) could not be read: \(what) (at byte \(offset)); send only the documented members."
    }

    /// Decodes with `limits` (the defaults unless given) and returns the billnum read, failing on an error.
    private func billnum(_ contentType: String, _ body: [UInt8], limits: DecodingLimits = DecodingLimits(),
                         file: StaticString = #filePath, line: UInt = #line) -> String? {
        switch decodeScanCode(contentType: contentType, body: body, limits: limits) {
        case .success(let fields): return fields.billnum
        case .failure(let error):
            XCTFail("refused: \(error)", file: file, line: line)
            return nil
        }
    }

    func testTheCapsAreTheDocumentedOnes() {
        XCTAssertEqual(limits.maxBodyBytes, 65_536)
        XCTAssertEqual(limits.maxDepth, 32)
        XCTAssertEqual(limits.maxAttributes, 64)
        XCTAssertEqual(limits.maxElements, 1_000)
        XCTAssertEqual(limits.maxMembers, 256)
    }

    // MARK: XML

    /// `count` attributes on the root: two namespace declarations (they count) and plain ones.
    private func rootWithAttributes(_ count: Int) -> (head: String, rest: String) {
        let plain = (0..<count - 2).map { " a\($0)=\"x\"" }
        let head = "<AliScanCodeParm xmlns=\"\(namespace)\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
            + plain.dropLast().joined() + " "
        return (head, plain.last!.dropFirst() + "><billnum>B1</billnum></AliScanCodeParm>")
    }

    func testXMLAttributesPerElement() {
        let atCap = rootWithAttributes(64)
        XCTAssertEqual(billnum(xml, Body.utf8(atCap.head + atCap.rest)), "B1")
        let over = rootWithAttributes(65)
        XCTAssertEqual(
            failure(xml, Body.utf8(over.head + over.rest))?.message,
            overLimit("more than 64 attributes on one XML element", at: over.head.utf8.count)
        )
        let member = { (count: Int) in
            "<AliScanCodeParm><billnum" + (0..<count).map { " a\($0)=\"x\"" }.joined() + ">B1</billnum></AliScanCodeParm>"
        }
        XCTAssertEqual(billnum(xml, Body.utf8(member(64))), "B1")
        XCTAssertEqual(failure(xml, Body.utf8(member(65)))?.errcode, 1001)
    }

    func testXMLElementsPerDocument() {
        // The root, billnum and unknown elements: 1,000 in all.
        let head = "<AliScanCodeParm><billnum>B1</billnum>" + String(repeating: "<u/>", count: 998)
        XCTAssertEqual(billnum(xml, Body.utf8(head + "</AliScanCodeParm>")), "B1")
        XCTAssertEqual(
            failure(xml, Body.utf8(head + "<u/></AliScanCodeParm>"))?.message,
            overLimit("more than 1000 elements in the XML document", at: head.utf8.count)
        )
    }

    func testXMLDepth() {
        let nested = { (levels: Int) in
            // The root is level 1.
            "<AliScanCodeParm><billnum>B1</billnum>" + String(repeating: "<u>", count: levels - 1)
                + String(repeating: "</u>", count: levels - 1) + "</AliScanCodeParm>"
        }
        XCTAssertEqual(billnum(xml, Body.utf8(nested(32))), "B1")
        XCTAssertEqual(failure(xml, Body.utf8(nested(33)))?.message.contains("nested deeper than 32 levels"), true)
    }

    // MARK: JSON

    /// An object holding billnum and `count - 1` unknown members.
    private func object(_ count: Int) -> (head: String, rest: String) {
        let unknown = (0..<count - 1).map { "\"u\($0)\":1," }
        return ("{\"billnum\":\"B1\"," + unknown.joined(), "\"last\":2}")
    }

    func testJSONMembersPerObject() {
        let atCap = object(256)
        XCTAssertEqual(billnum(json, Body.utf8(atCap.head.dropLast() + "}")), "B1")
        XCTAssertEqual(
            failure(json, Body.utf8(atCap.head + atCap.rest))?.message,
            overLimit("more than 256 members in one JSON object", at: atCap.head.utf8.count)
        )
        let nested = { (count: Int) in "{\"x\":{" + (0..<count).map { "\"u\($0)\":1" }.joined(separator: ",") + "},\"billnum\":\"B1\"}" }
        XCTAssertEqual(billnum(json, Body.utf8(nested(256))), "B1")
        XCTAssertEqual(failure(json, Body.utf8(nested(257)))?.errcode, 1001)
    }

    func testJSONValuesPerArray() {
        let head = "{\"billnum\":\"B1\",\"x\":[" + String(repeating: "1,", count: 256)
        XCTAssertEqual(billnum(json, Body.utf8(head.dropLast() + "]}")), "B1")
        XCTAssertEqual(
            failure(json, Body.utf8(head + "1]}"))?.message,
            overLimit("more than 256 values in one JSON array", at: head.utf8.count)
        )
    }

    func testJSONDepth() {
        let nested = { (levels: Int) in
            "{\"billnum\":\"B1\",\"x\":" + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1) + "}"
        }
        XCTAssertEqual(billnum(json, Body.utf8(nested(32))), "B1")
        XCTAssertEqual(failure(json, Body.utf8(nested(33)))?.message.contains("nested deeper than 32 levels"), true)
    }

    // MARK: Forms and query strings

    func testFormFields() {
        let head = "billnum=B1&" + (0..<255).map { "u\($0)=1&" }.joined()
        XCTAssertEqual(billnum(form, Body.utf8(head)), "B1")
        XCTAssertEqual(billnum(form, Body.utf8(head + String(repeating: "&", count: 5_000))), "B1", "empty pairs do not count")
        XCTAssertEqual(failure(form, Body.utf8(head + "last=1"))?.message, overLimit("more than 256 fields in the form", at: head.utf8.count))
    }

    func testQueryStringFields() throws {
        let schema = ScanCodeContract.schema
        let head = "billnum=B1&" + (0..<255).map { "u\($0)=1&" }.joined()
        XCTAssertEqual(try RequestBodyDecoder.decodeQueryString(head, schema: schema).get().string("billnum"), "B1")
        guard case .failure(let error) = RequestBodyDecoder.decodeQueryString(head + "last=1", schema: schema) else {
            return XCTFail("257 fields were accepted")
        }
        XCTAssertEqual(error.errcode, 1001)
        XCTAssertEqual(error.message, overLimit("more than 256 fields", at: head.utf8.count, subject: "The query string"))
    }

    // MARK: BSON

    /// A document of billnum and `count - 1` int32 members.
    private func document(_ count: Int) -> [UInt8] {
        BSONWriter.document([BSONMember("billnum", .string("B1"))] + (1..<count).map { BSONMember("u\($0)", .int32(1)) })
    }

    func testBSONMembersPerDocument() {
        XCTAssertEqual(billnum(bson, document(256)), "B1")
        // The length, billnum (type, key, length, "B1\0"), then 255 int32 members (type, key, 4 bytes).
        let offset = 4 + (1 + 8 + 4 + 3) + (1..<256).reduce(0) { $0 + 1 + "u\($1)".utf8.count + 1 + 4 }
        XCTAssertEqual(failure(bson, document(257))?.message, overLimit("more than 256 members in one BSON document", at: offset))
    }

    func testBSONValuesPerArray() {
        let array = { (count: Int) in
            BSONWriter.document([BSONMember("billnum", .string("B1")), BSONMember("x", .array(Array(repeating: .int32(1), count: count)))])
        }
        XCTAssertEqual(billnum(bson, array(256)), "B1")
        XCTAssertEqual(failure(bson, array(257))?.message.contains("more than 256 values in one BSON array"), true)
    }

    func testBSONDepth() {
        let nested = { (levels: Int) in
            var value = BSONValue.document([])
            for _ in 0..<levels - 2 { value = .document([BSONMember("a", value)]) }
            return BSONWriter.document([BSONMember("billnum", .string("B1")), BSONMember("x", value)])
        }
        XCTAssertEqual(billnum(bson, nested(32)), "B1")
        XCTAssertEqual(failure(bson, nested(33))?.message.contains("nested deeper than 32 levels"), true)
    }

    // MARK: One place

    /// The readers take every cap from the `DecodingLimits` they are given.
    func testEveryReaderTakesItsCapsFromTheLimits() {
        let tight = DecodingLimits(maxAttributes: 1, maxElements: 2, maxMembers: 2)
        let cases: [(String, String, String)] = [
            (xml, "<AliScanCodeParm a=\"1\" b=\"2\"/>", "more than 1 attributes on one XML element"),
            (xml, "<AliScanCodeParm><billnum>B1</billnum><u/></AliScanCodeParm>", "more than 2 elements in the XML document"),
            (json, "{\"billnum\":\"B1\",\"a\":1,\"b\":2}", "more than 2 members in one JSON object"),
            (json, "{\"billnum\":\"B1\",\"a\":[1,2,3]}", "more than 2 values in one JSON array"),
            (form, "billnum=B1&a=1&b=2", "more than 2 fields in the form"),
        ]
        for (contentType, body, what) in cases {
            XCTAssertEqual(failure(contentType, Body.utf8(body), limits: tight)?.message.contains(what), true, body)
        }
        let members = BSONWriter.document([BSONMember("billnum", .string("B1")), BSONMember("a", .null), BSONMember("b", .null)])
        XCTAssertEqual(failure(bson, members, limits: tight)?.message.contains("more than 2 members in one BSON document"), true)
        XCTAssertEqual(billnum(json, Body.utf8("{\"billnum\":\"B1\",\"a\":[1,2]}"), limits: tight), "B1")
    }
}
