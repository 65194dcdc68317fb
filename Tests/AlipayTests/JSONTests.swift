@testable import Alipay
import JSON
import PaymentModel
import XCTest

/// The one JSON implementation of the Alipay protocol: the client's biz_content and reply fields, and the
/// sandbox's parser and writer.
final class JSONTests: XCTestCase {
    func testParserKeepsNumberLiteralsAndMemberOrder() throws {
        let node = try JSONParser.parse(#"{"z":88.88,"a":[1e3,-0.5],"m":{"k":null,"t":true}}"#)
        XCTAssertEqual(node["z"], .number("88.88"))
        XCTAssertEqual(node["a"], .array([.number("1e3"), .number("-0.5")]))
        guard case .object(let members) = node else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.0), ["z", "a", "m"])
        XCTAssertEqual(JSONWriter.text(node), #"{"z":88.88,"a":[1e3,-0.5],"m":{"k":null,"t":true}}"#)
    }

    func testParserRefusesWhatIsNotStrictJSON() {
        for text in [#"{"a":1,"a":2}"#, #"{"a":01}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":1} x"#,
                     #"{"a":"\ud800"}"#, String(repeating: "[", count: 65) + String(repeating: "]", count: 65)] {
            XCTAssertThrowsError(try JSONParser.parse(text), text)
        }
    }

    func testWriterRoundTripsEscapes() throws {
        let text = "q\"b\\s/c\u{01}\u{08}\u{0C}\n\r\té😀"
        let written = JSONNode.string(text).compactText
        XCTAssertEqual(written, #""q\"b\\s/c\u0001\b\f\n\r\té😀""#)
        XCTAssertEqual(try JSONParser.parse(written), .string(text))
        XCTAssertEqual(try JSONParser.parse(JSONWriter.text(.string(text), escapingSlashes: true)), .string(text))
    }

    func testReplyFieldsKeepStringsAndRefuseAmbiguousNodes() throws {
        let fields = try AlipayReplyFields(node: Array(#"{"code":"10000","total_amount":"88.88","n":5,"e":""}"#.utf8))
        XCTAssertEqual(fields["code"], "10000")
        XCTAssertEqual(try fields.money("total_amount"), Money(fen: 8888))
        XCTAssertNil(fields["n"], "a number is not a string field")
        XCTAssertNil(fields["e"], "an empty field counts as absent")
        // A repeated member would leave it to chance which value counts: the node is malformed.
        for node in [#"{"code":"10000","code":"40004"}"#, #"["code"]"#, #"{"code":"10000""#] {
            XCTAssertThrowsError(try AlipayReplyFields(node: Array(node.utf8)), node)
        }
    }
}
