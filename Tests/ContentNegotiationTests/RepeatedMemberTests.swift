import BSON
import ContentNegotiation
import PaymentModel
@testable import ThreePayApp
import XCTest

/// A member given twice: each format keeps the occurrence its .NET binder kept. JSON and BSON (Json.NET):
/// the last, case variants included. XML (DataContractSerializer) and forms and query strings (the MVC
/// model binder): the first.
final class RepeatedMemberTests: XCTestCase {
    func testJSONKeepsTheLast() {
        let decoded = fields("application/json", Body.utf8(#"{"paymentvalue":1,"PaymentValue":2,"billnum":"a","BILLNUM":"b"}"#))
        XCTAssertEqual(decoded?.paymentvalue?.text, "2")
        XCTAssertEqual(decoded?.billnum, "b")
    }

    func testBSONKeepsTheLast() {
        let body = BSONWriter.document([
            BSONMember("paymentvalue", .int32(1)), BSONMember("PaymentValue", .double(2)),
            BSONMember("billnum", .string("a")), BSONMember("BILLNUM", .string("b")), BSONMember("body", .string("x")),
            BSONMember("body", .null),
        ])
        let decoded = fields("application/bson", body)
        XCTAssertEqual(decoded?.paymentvalue?.text, "2")
        XCTAssertEqual(decoded?.billnum, "b")
        XCTAssertNil(decoded?.body, "a later null clears the member")
    }

    func testXMLKeepsTheFirst() {
        let xml = "<AliScanCodeParm><billnum>a</billnum><paymentvalue>1</paymentvalue><billnum>b</billnum>"
            + "<paymentvalue>2</paymentvalue><body i:nil=\"true\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"/>"
            + "<body>x</body></AliScanCodeParm>"
        let decoded = fields("application/xml", Body.utf8(xml))
        XCTAssertEqual(decoded?.billnum, "a")
        XCTAssertEqual(decoded?.paymentvalue?.text, "1")
        XCTAssertNil(decoded?.body, "a first nil element wins too")
    }

    func testFormKeepsTheFirst() {
        let decoded = fields("application/x-www-form-urlencoded", Body.utf8("paymentvalue=1&PaymentValue=2&billnum=a&BILLNUM=b&body=&body=x"))
        XCTAssertEqual(decoded?.paymentvalue?.text, "1")
        XCTAssertEqual(decoded?.billnum, "a")
        XCTAssertNil(decoded?.body, "a first empty value wins too")
    }

    func testQueryStringKeepsTheFirst() throws {
        let decoded = try RequestBodyDecoder.decodeQueryString("autoid=7&AUTOID=8&billnum=a&billnum=b", schema: BillLookupRequest.schema).get()
        XCTAssertEqual(decoded.string("autoid"), "7")
        XCTAssertEqual(decoded.string("billnum"), "a")
    }
}
