@testable import JSON
import XCTest

/// The one JSON reader in its two modes, and the one writer.
final class JSONParserTests: XCTestCase {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func reason(_ text: String, _ mode: JSONParser.Mode, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try JSONParser.parse(bytes(text), mode: mode)
            XCTFail("accepted \(text.debugDescription)", file: file, line: line)
            return nil
        } catch {
            return error.reason
        }
    }

    func testBothModesReadTheGrammarStrictly() {
        let refused = [
            #"{"a":"x",}"#, #"{'a':'x'}"#, #"{a:"x"}"#, #"{"a":"x"} // c"#, #"{/* c */"a":"x"}"#, #"{"a":"x"} x"#,
            #"{"a":"x""#, #"{"a":01}"#, #"{"a":-01}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#,
            #"{"a":"\ud800\u0041"}"#, #"{"a":"\u12"}"#, "{\"a\":\"x\u{01}\"}", #"{"a":[1,]}"#, #"{"a":.5}"#,
            #"{"a":1.}"#, #"{"a":1e}"#, #"{"a":+1}"#, #"{"a":tru}"#, #"{"a":nul}"#, "{", "[", "", " ", #"{"a" 1}"#,
            #"{"a":1 "b":2}"#, #"[1 2]"#, #"{"a":1}}"#, #"{"a":NaN}"#,
        ]
        for text in refused {
            XCTAssertNotNil(reason(text, .strict), text)
            XCTAssertNotNil(reason(text, .jsonNET), text)
        }
        XCTAssertEqual(reason(#"{"a":"x",}"#, .strict), "trailing commas are not accepted")
        XCTAssertEqual(reason(#"{'a':'x'}"#, .jsonNET), "member names must be double-quoted strings")
        XCTAssertEqual(reason(#"{"a":'x'}"#, .jsonNET), "single-quoted strings are not accepted")
        XCTAssertEqual(reason(#"{"a":"x"} // c"#, .jsonNET), "unexpected text after the root value")
        XCTAssertEqual(reason(#"{"a":01}"#, .strict), "invalid number (leading zero)")
    }

    func testValuesAndEscapes() throws {
        let node = try JSONParser.parse(#" {"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00中","n":[0,-0.5,1e3,2E-2,10],"b":[true,false,null],"o":{}} "#)
        XCTAssertEqual(node["s"], .string("\"\\/\u{08}\u{0C}\n\r\té😀中"))
        XCTAssertEqual(node["n"], .array([.number("0"), .number("-0.5"), .number("1e3"), .number("2E-2"), .number("10")]))
        XCTAssertEqual(node["b"], .array([.bool(true), .bool(false), .null]))
        XCTAssertEqual(node["o"], .object([]))
        XCTAssertEqual(try JSONParser.parse("[]"), .array([]))
        XCTAssertEqual(try JSONParser.parse(#""x""#), .string("x"))
    }

    func testStrictRefusesRepeatedNamesAtAnyDepthAndJsonNETKeepsThemInOrder() throws {
        for text in [#"{"a":1,"a":2}"#, #"{"x":{"a":1,"a":1}}"#, #"[{"a":1,"\u0061":2}]"#] {
            XCTAssertEqual(reason(text, .strict), "the member name is repeated", text)
            XCTAssertNoThrow(try JSONParser.parse(bytes(text), mode: .jsonNET), text)
        }
        let members = try XCTUnwrap(JSONParser.rootMembers(bytes(#"{"a":"1","b":2,"a":"3","A":4}"#), mode: .jsonNET))
        XCTAssertEqual(members.map(\.name), ["a", "b", "a", "A"])
        XCTAssertEqual(members.map(\.value), [.string("1"), .number("2"), .string("3"), .number("4")])
        XCTAssertEqual(try JSONParser.parse(#"{"a":1,"b":{"a":2}}"#)["b"]?["a"], .number("2"), "one name per object")
    }

    func testNULEscapeOnlyInStrictMode() throws {
        XCTAssertEqual(try JSONParser.parse(bytes(#"{"a":"x\u0000"}"#), mode: .strict)["a"], .string("x\u{0}"))
        XCTAssertEqual(reason(#"{"a":"x\u0000"}"#, .jsonNET), "\\u0000 is not accepted")
    }

    func testInvalidUTF8InsideStringsIsRefused() {
        for raw: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE4, 0xB8]] {
            let text = bytes(#"{"a":""#) + raw + bytes(#""}"#)
            XCTAssertThrowsError(try JSONParser.parse(text), "\(raw)") { error in
                XCTAssertEqual((error as? JSONParseError)?.reason, "a string is not valid UTF-8")
            }
        }
    }

    func testRootMembersCarryTheExactBytesOfEachValue() throws {
        let text = #"{ "n" : {"k":"}\"{","l":[1,{"m":"]"}]} , "s":"a\/b" ,"x":-1.5e3,"t":true,"z":null}"#
        let members = try XCTUnwrap(JSONParser.rootMembers(bytes(text)))
        let raw = members.map { String(decoding: bytes(text)[$0.valueBytes], as: UTF8.self) }
        XCTAssertEqual(raw, [#"{"k":"}\"{","l":[1,{"m":"]"}]}"#, #""a\/b""#, "-1.5e3", "true", "null"])
        XCTAssertEqual(members[1].value, .string("a/b"))
        XCTAssertNil(try JSONParser.rootMembers(bytes(" null ")))
        XCTAssertEqual(try JSONParser.rootMembers(bytes("{}"))?.count, 0)
        for root in ["[1]", #""x""#, "1", "true"] {
            XCTAssertThrowsError(try JSONParser.rootMembers(bytes(root)), root) { error in
                XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 0, reason: "the root must be an object"))
            }
        }
        XCTAssertThrowsError(try JSONParser.rootMembers(bytes("[1,]"))) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, "trailing commas are not accepted", "the syntax error first")
        }
    }

    func testDepthIsLimitedBeforeDescending() {
        let limit = JSONParser.defaultMaxDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        XCTAssertNoThrow(try JSONParser.parse(deepest))
        XCTAssertEqual(reason("[" + deepest + "]", .strict), "nested deeper than \(limit) levels")
        let objects = String(repeating: #"{"a":"#, count: 3) + "1" + String(repeating: "}", count: 3)
        XCTAssertNoThrow(try JSONParser.parse(bytes(objects), mode: .jsonNET, maxDepth: 3))
        XCTAssertThrowsError(try JSONParser.parse(bytes(objects), mode: .jsonNET, maxDepth: 2))
        // A million open brackets are refused at the first one too deep, not by exhausting the stack.
        XCTAssertThrowsError(try JSONParser.parse(Array(repeating: UInt8(ascii: "["), count: 1_000_000))) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, limit)
        }
    }

    func testMembersAndValuesPerContainerCanBeLimited() throws {
        let text = #"{"a":[1,2],"b":{"c":1,"d":2},"e":3}"#
        XCTAssertNoThrow(try JSONParser.rootMembers(bytes(text), mode: .jsonNET, maxMembers: 3))
        XCTAssertThrowsError(try JSONParser.rootMembers(bytes(text), mode: .jsonNET, maxMembers: 2)) { error in
            let error = error as? JSONParseError
            XCTAssertEqual(error?.reason, "more than 2 members in one JSON object")
            XCTAssertEqual(error?.offset, 29, "the third root member's name")
            XCTAssertEqual(error?.isOverLimit, true)
        }
        XCTAssertThrowsError(try JSONParser.parse(bytes("[[1,2,3]]"), maxMembers: 2)) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 6, reason: "more than 2 values in one JSON array", isOverLimit: true))
        }
        XCTAssertEqual(try JSONParser.parse(bytes("[1,2]"), maxMembers: 2), .array([.number("1"), .number("2")]))
        XCTAssertEqual((try? JSONParser.parse(bytes("[1,]"), maxMembers: 1)) == nil, true)
    }

    func testNestedContentsAreCheckedButNeedNotBeKept() throws {
        let text = #"{"a":{"b":[1,{"c":"d"}]},"e":[1,2],"f":"g","h":"x\"y"}"#
        let kept = try XCTUnwrap(JSONParser.rootMembers(bytes(text), mode: .jsonNET))
        let dropped = try XCTUnwrap(JSONParser.rootMembers(bytes(text), mode: .jsonNET, nestedContents: false))
        XCTAssertEqual(dropped.map(\.name), ["a", "e", "f", "h"])
        XCTAssertEqual(dropped.map(\.value), [.object([]), .array([]), .string("g"), .string("x\"y")])
        XCTAssertEqual(dropped.map(\.valueBytes), kept.map(\.valueBytes))
        XCTAssertEqual(kept[1].value, .array([.number("1"), .number("2")]))
        for refused in [#"{"a":[1,]}"#, #"{"a":{"b":01}}"#, #"{"a":["\x"]}"#] {
            XCTAssertThrowsError(try JSONParser.rootMembers(bytes(refused), mode: .jsonNET, nestedContents: false), refused)
        }
    }

    func testLargeDocumentsAreReadWhole() throws {
        let count = 100_000
        let distinct = "{" + (0..<count).map { #""m\#($0)":"\u4e2d\#($0)""# }.joined(separator: ",") + "}"
        let members = try XCTUnwrap(JSONParser.rootMembers(bytes(distinct)))
        XCTAssertEqual(members.count, count)
        XCTAssertEqual(members.last?.value, .string("中\(count - 1)"))
        let repeated = "{" + String(repeating: #""a":"x","#, count: count) + #""a":"last"}"#
        XCTAssertEqual(try JSONParser.rootMembers(bytes(repeated), mode: .jsonNET)?.count, count + 1)
        XCTAssertThrowsError(try JSONParser.rootMembers(bytes(repeated), mode: .strict)) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, 9, "the second \"a\"")
        }
        let longString = String(repeating: #"\"é"#, count: count)
        XCTAssertEqual(try JSONParser.parse(#"""# + longString + #"""#), .string(String(repeating: "\"é", count: count)))
    }

    func testHexDigitValues() {
        for byte in UInt8.min...UInt8.max {
            let expected = UInt8(String(UnicodeScalar(byte)), radix: 16)
            XCTAssertEqual(HexDigit.value(byte), expected, "\(byte)")
        }
    }

    // MARK: Writer

    func testWriterEscapesAsJsonNET() {
        let text = "q\" b\\ n\n r\r t\t b\u{08} f\u{0C} c\u{01}\u{1F} \u{85}\u{2028}\u{2029} / < > & ' 中文 😀 \u{7F}"
        XCTAssertEqual(
            JSONWriter.text(.string(text), escapingSlashes: false),
            #""q\" b\\ n\n r\r t\t b\b f\f c\u0001\u001f \u0085\u2028\u2029 / < > & ' 中文 😀 "# + "\u{7F}\"")
        XCTAssertEqual(JSONWriter.text(.string("a/b"), escapingSlashes: true), #""a\/b""#)
        XCTAssertEqual(JSONWriter.text(.object([("k", .array([.number("1.50"), .bool(false), .null]))])), #"{"k":[1.50,false,null]}"#)
    }

    func testWrittenStringsReadBack() throws {
        var scalars = (0..<0x250).compactMap(Unicode.Scalar.init).map(Character.init)
        scalars += ["\u{2028}", "\u{2029}", "😀", "中", "\u{FFFF}"]
        let text = String(scalars)
        for slashes in [false, true] {
            let written = JSONWriter.bytes(.object([(text, .string(text))]), escapingSlashes: slashes)
            XCTAssertEqual(try JSONParser.parse(written), .object([(text, .string(text))]))
        }
    }
}
