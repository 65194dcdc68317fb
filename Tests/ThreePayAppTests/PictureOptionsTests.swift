@testable import ThreePayApp
import XCTest

/// The QR route's drawing options come from the query string and are refused in its words, not a body's.
final class PictureOptionsTests: XCTestCase {
    func testAnEmptyOrBlankQueryGivesTheDefaults() throws {
        XCTAssertEqual(try PictureOptions.read(query: "").get(), PictureOptions())
        XCTAssertEqual(try PictureOptions.read(query: "   ").get(), PictureOptions())
    }

    func testFormatAndSizeAreRead() throws {
        let options = try PictureOptions.read(query: "autoid=7&FORMAT=svg&size=12").get()
        XCTAssertEqual(options.format, .svg)
        XCTAssertEqual(options.scale, 12)
    }

    func testABrokenQueryIsRefusedAsAQueryString() {
        guard case .failure(let error) = PictureOptions.read(query: "format=%ff") else {
            return XCTFail("a query that is not UTF-8 is refused")
        }
        XCTAssertTrue(error.message.contains("query string"), error.message)
        XCTAssertFalse(error.message.contains("body"), error.message)
    }
}
