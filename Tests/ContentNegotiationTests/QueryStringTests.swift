import ContentNegotiation
import PaymentModel
@testable import ThreePayApp
import XCTest

/// A GET Query's query string is read with the form rules; its failures speak of the query string.
final class QueryStringTests: XCTestCase {
    private func failure(_ query: String) -> ServiceError? {
        guard case .failure(let error) = RequestBodyDecoder.decodeQueryString(query, schema: BillLookupRequest.schema) else {
            XCTFail("\(query) was accepted")
            return nil
        }
        return error
    }

    func testNULAndInvalidUTF8NameTheQueryString() {
        for query in ["billnum=a%00b&billtype=2", "billnum=%ff&billtype=2", "bill%00num=1", "billnum=%C3%28"] {
            let error = failure(query)
            XCTAssertEqual(error?.errcode, 1003, query)
            XCTAssertTrue(error?.message.contains("query string") == true, "\(query): \(error?.message ?? "")")
            XCTAssertFalse(error?.message.contains("body") == true, "\(query): \(error?.message ?? "")")
        }
        XCTAssertEqual(failure("billnum=%00")?.message, "The query string contains a NUL character (%00); send text only.")
    }

    func testAnEmptyQueryStringHoldsNoMembers() throws {
        XCTAssertEqual(try RequestBodyDecoder.decodeQueryString("", schema: BillLookupRequest.schema).get().values, [:])
        XCTAssertEqual(try RequestBodyDecoder.decodeQueryString("autoid=%2042%20", schema: BillLookupRequest.schema).get().string("autoid"), " 42 ")
    }

    /// The same bytes in a POST body still speak of the body.
    func testBodiesKeepTheirWording() {
        let error = failure("application/x-www-form-urlencoded", Body.utf8("billnum=a%00b"))
        XCTAssertEqual(error?.message, "The request body contains a NUL character; send text only.")
    }
}
