import ContentNegotiation
import PaymentModel
import XCTest

final class RequestBodyDecoderTests: XCTestCase {
    func testMediaTypeSelection() {
        let body = Body.utf8(#"{"billnum":"B1"}"#)
        XCTAssertEqual(fields("*/*", body)?.billnum, "B1", "*/* picks JSON")
        XCTAssertEqual(fields("Application/JSON; charset=utf-8", body)?.billnum, "B1")
        XCTAssertEqual(fields("text/json", body)?.billnum, "B1")
        let missing = failure(nil, body)
        XCTAssertEqual(missing?.errcode, 1005)
        XCTAssertEqual(missing?.httpStatus, 415)
        XCTAssertEqual(failure("garbage", body)?.errcode, 1005)
        XCTAssertEqual(
            failure("text/plain", body)?.message,
            "The media type 'text/plain' is not supported; send application/json, application/xml, "
                + "application/x-www-form-urlencoded or application/bson."
        )
        XCTAssertEqual(failure("application/bson", body)?.errcode, 1001, "a JSON text is not a BSON document")
        XCTAssertEqual(failure("application/octet-stream", body)?.errcode, 1005)
        XCTAssertEqual(failure("multipart/form-data; boundary=x", body)?.errcode, 1005)
    }

    func testEmptyBodyComesBeforeMediaType() {
        XCTAssertEqual(failure(nil, [])?.errcode, 1007)
        XCTAssertEqual(failure("text/plain", [])?.errcode, 1007)
    }

    func testSizeLimit() {
        let limits = DecodingLimits(maxBodyBytes: 16, maxDepth: 8)
        let error = failure("application/json", Body.utf8(#"{"billnum":"0123456789"}"#), limits: limits)
        XCTAssertEqual(error?.errcode, 1004)
        XCTAssertEqual(error?.httpStatus, 413)
    }

    func testGenericSchemaReuse() throws {
        let schema = RequestSchema(xmlRootName: "AliQueryParm", xmlNamespace: "urn:q", memberNames: ["billnum", "billtype"])
        let decoded = try RequestBodyDecoder.decode(
            contentType: "application/xml", body: Body.utf8(#"<AliQueryParm xmlns="urn:q"><billnum>B9</billnum></AliQueryParm>"#),
            schema: schema
        ).get()
        XCTAssertEqual(decoded.format, .xml)
        XCTAssertEqual(decoded.string("billnum"), "B9")
        XCTAssertNil(decoded.string("billtype"))
    }
}
