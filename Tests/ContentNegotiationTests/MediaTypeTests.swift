@testable import ContentNegotiation
import XCTest

final class MediaTypeTests: XCTestCase {
    func testParsesTypeSubtypeAndParameters() throws {
        let type = try XCTUnwrap(MediaType(parsing: " Application/JSON ; Charset=\"UTF-8\" ;q=0.5; flag"))
        XCTAssertEqual(type.essence, "application/json")
        XCTAssertEqual(type.charset, "UTF-8")
        XCTAssertEqual(type.quality, 0.5)
        XCTAssertEqual(type.parameters.last, MediaType.Parameter(name: "flag", value: nil))
        XCTAssertEqual(MediaType(parsing: "text / xml")?.essence, "text/xml")
    }

    func testRejectsInvalidSingleValues() {
        for invalid in ["", "json", "application/", "/json", "application/json;", "application/json; =x", "application/json; a=",
                        "application/json x", "text/xml, application/xml", "applicätion/json", "application/json; a=\"open"] {
            XCTAssertNil(MediaType(parsing: invalid), invalid)
        }
    }

    func testListIsInvalidWholeWhenOneElementIs() {
        XCTAssertNil(MediaType.parseList("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"))
        XCTAssertEqual(MediaType.parseList("application/json, text/javascript, */*; q=0.01")?.count, 3)
        XCTAssertEqual(MediaType.parseList("a/b,,  ,c/d")?.map(\.essence), ["a/b", "c/d"])
        XCTAssertEqual(MediaType.parseList("")?.count, 0)
    }

    func testQualityParsing() {
        XCTAssertEqual(MediaType(parsing: "*/*; q=.2")?.quality, 0.2)
        XCTAssertEqual(MediaType(parsing: "*/*; q=1.")?.quality, 1)
        XCTAssertEqual(MediaType(parsing: "*/*; Q=0")?.quality, 0)
        XCTAssertNil(MediaType(parsing: "*/*; q=abc")?.quality, "unreadable q counts as absent (1)")
        XCTAssertNil(MediaType(parsing: "*/*; q=-1")?.quality)
        XCTAssertNil(MediaType(parsing: "*/*")?.quality)
    }

    func testRangeCoverage() {
        let json = MediaType(type: "application", subtype: "json")
        XCTAssertEqual(json.covered(by: MediaType(parsing: "APPLICATION/Json")!), .literal)
        XCTAssertEqual(json.covered(by: MediaType(parsing: "application/*")!), .subtypeRange)
        XCTAssertEqual(json.covered(by: MediaType(parsing: "*/*")!), .allRange)
        XCTAssertNil(json.covered(by: MediaType(parsing: "text/*")!))
        XCTAssertNil(json.covered(by: MediaType(parsing: "*/json")!))
    }
}
