import ContentNegotiation
import XCTest

/// Every worked case of the legacy negotiation table, BSON rows included.
final class ContentNegotiatorTests: XCTestCase {
    private let javaDefault = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"

    private func answer(_ accept: String?, _ contentType: String?, _ xRequestedWith: String? = nil) -> String {
        ContentNegotiator.negotiate(accept: accept, contentType: contentType, xRequestedWith: xRequestedWith).contentType
    }

    func testNoAcceptFollowsContentType() {
        XCTAssertEqual(answer(nil, "application/json"), "application/json; charset=utf-8")
        XCTAssertEqual(answer(nil, "text/json"), "text/json; charset=utf-8")
        XCTAssertEqual(answer(nil, "application/xml"), "application/xml; charset=utf-8")
        XCTAssertEqual(answer(nil, "text/xml;charset=utf-8"), "text/xml; charset=utf-8")
    }

    func testNoAcceptFormOrNothingGivesJSON() {
        XCTAssertEqual(answer(nil, "application/x-www-form-urlencoded"), "application/json; charset=utf-8")
        XCTAssertEqual(answer(nil, nil), "application/json; charset=utf-8")
    }

    func testBSONContentTypeChoosesBSON() {
        XCTAssertEqual(answer(nil, "application/bson"), "application/bson; charset=utf-8")
        XCTAssertEqual(answer(nil, "Application/BSON; charset=gbk"), "application/bson; charset=utf-8")
        XCTAssertEqual(ContentNegotiator.negotiate(accept: nil, contentType: "application/bson", xRequestedWith: nil).format, .bson)
    }

    func testAcceptHitBeatsContentType() {
        XCTAssertEqual(answer("*/*", "application/xml"), "application/json; charset=utf-8")
    }

    func testInvalidAcceptLineIsDiscardedWhole() {
        XCTAssertEqual(answer(javaDefault, "application/xml"), "application/xml; charset=utf-8")
    }

    func testJQueryAccept() {
        XCTAssertEqual(
            answer("application/json, text/javascript, */*; q=0.01", "application/x-www-form-urlencoded; charset=UTF-8"),
            "application/json; charset=utf-8"
        )
    }

    func testBrowserAccept() {
        XCTAssertEqual(answer("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", nil), "application/xml; charset=utf-8")
    }

    func testLiteralTiesBeatAllRange() {
        XCTAssertEqual(answer("*/*, application/xml", nil), "application/xml; charset=utf-8")
    }

    func testAllRangeWithHigherQualityWinsAndTiesGoToJSON() {
        XCTAssertEqual(answer("application/xml;q=0.5, */*", nil), "application/json; charset=utf-8")
    }

    func testSubtypeRangeEchoesWriterSpelling() {
        XCTAssertEqual(answer("text/*", nil), "text/json; charset=utf-8")
    }

    func testUnmatchedAcceptFallsBackToContentTypeThenJSON() {
        XCTAssertEqual(answer("text/plain", "application/xml"), "application/xml; charset=utf-8")
        XCTAssertEqual(answer("text/plain", nil), "application/json; charset=utf-8")
    }

    func testQualityZeroOnlyRemovesTheAcceptHit() {
        XCTAssertEqual(answer("application/json;q=0", "application/json"), "application/json; charset=utf-8")
        XCTAssertEqual(answer("application/xml;q=0", "application/xml"), "application/xml; charset=utf-8")
    }

    func testXMLHttpRequestMapping() {
        XCTAssertEqual(answer(nil, "application/xml", "XMLHttpRequest"), "application/json; charset=utf-8")
        XCTAssertEqual(answer("*/*", "application/xml", "xmlhttprequest"), "application/json; charset=utf-8")
        XCTAssertEqual(answer("*/*;q=0.5", "application/xml", "XMLHttpRequest"), "application/json; charset=utf-8")
        // With any other Accept the mapping is off and Accept decides.
        XCTAssertEqual(answer("application/xml", nil, "XMLHttpRequest"), "application/xml; charset=utf-8")
        XCTAssertEqual(answer("application/xml, */*", nil, "XMLHttpRequest"), "application/xml; charset=utf-8")
        // An invalid Accept counts as none, so the mapping applies.
        XCTAssertEqual(answer(javaDefault, "application/xml", "XMLHttpRequest"), "application/json; charset=utf-8")
    }

    func testBSONAccept() {
        XCTAssertEqual(answer("application/bson", "application/json"), "application/bson; charset=utf-8")
        XCTAssertEqual(answer("application/bson", "text/xml"), "application/bson; charset=utf-8")
        XCTAssertEqual(answer("application/bson, application/xml;q=0.1", "application/json"), "application/bson; charset=utf-8")
        // Equal q: the earlier writer wins, and BSON is the last one.
        XCTAssertEqual(answer("application/bson, application/json", nil), "application/json; charset=utf-8")
        XCTAssertEqual(answer("application/xml;q=0.5, application/bson;q=0.9", nil), "application/bson; charset=utf-8")
        // Ranges cover BSON too, but the earlier writers win the tie.
        XCTAssertEqual(answer("application/*", "application/bson"), "application/json; charset=utf-8")
        XCTAssertEqual(answer("*/*", "application/bson"), "application/json; charset=utf-8")
        // q=0 only removes the Accept hit; with none left the Content-Type decides.
        XCTAssertEqual(answer("application/bson;q=0", "application/bson"), "application/bson; charset=utf-8")
        XCTAssertEqual(answer("application/bson;q=0", "application/xml"), "application/xml; charset=utf-8")
        // The X-Requested-With mapping (JSON) still beats a BSON Content-Type.
        XCTAssertEqual(answer(nil, "application/bson", "XMLHttpRequest"), "application/json; charset=utf-8")
    }

    func testQualityOrderingAndCase() {
        XCTAssertEqual(answer("application/json;q=0.4, application/xml;q=0.6", nil), "application/xml; charset=utf-8")
        XCTAssertEqual(answer("TEXT/XML", nil), "text/xml; charset=utf-8")
        XCTAssertEqual(answer("text/*;q=0.9, application/xml", nil), "application/xml; charset=utf-8")
        XCTAssertEqual(answer("application/*", nil), "application/json; charset=utf-8")
        XCTAssertEqual(answer(nil, "garbage"), "application/json; charset=utf-8", "an unreadable Content-Type counts as absent")
    }

    func testFormatIsReported() {
        XCTAssertEqual(ContentNegotiator.negotiate(accept: "text/xml", contentType: nil, xRequestedWith: nil),
                       NegotiatedFormat(format: .xml, mediaType: "text/xml"))
    }
}
