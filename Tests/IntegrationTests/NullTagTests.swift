import BSON
import CurlClient
import XCTest

/// A failure that names no known bill answers a null tag, in the original's spelling for each format:
/// JSON `"tag":null`, XML `<tag xmlns:d2p1="…" i:nil="true" />`, BSON null. A usable billnum is still echoed.
final class NullTagTests: ScanCodeTestCase {
    static let resultNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"

    static func xmlFailure(root: String, errcode: Int, errmsg: String) -> String {
        "<\(root) xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
            + " xmlns=\"http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer\">"
            + "<errcode>\(errcode)</errcode><errmsg>\(errmsg)</errmsg>"
            + "<tag xmlns:d2p1=\"\(resultNamespace)\" i:nil=\"true\" /></\(root)>"
    }

    static func bsonFailure(errcode: Int32, errmsg: String) -> [UInt8] {
        BSONWriter.document([BSONMember("errcode", .int32(errcode)), BSONMember("errmsg", .string(errmsg)), BSONMember("tag", .null)])
    }

    func testScanCodeWithoutAUsableBillnumAnswersANullTag() throws {
        let required = "The billnum field is required."
        let tooLong = "The field billnum must be a string or array type with a maximum length of '20'."
        let cases: [(String, ScanCodeBill.Value?, String)] = [
            ("missing", nil, required), ("blank", .text(" \u{3000}"), required), ("empty", .text(""), required),
            ("21 characters", .text(String(repeating: "n", count: 21)), tooLong),
        ]
        for (name, value, message) in cases {
            let bill = ScanCodeBill.valid("unused").setting("billnum", value)
            let json = try client.scanCode(bill.json(), contentType: "application/json")
            XCTAssertEqual(json.text, #"{"errcode":1002,"errmsg":"\#(message)","tag":null}"#, name)
            let xml = try client.scanCode(bill.xml(), contentType: "application/xml")
            XCTAssertEqual(
                xml.text,
                Self.xmlFailure(root: "CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY", errcode: 1002, errmsg: message), name)
            let bson = try client.scanCode(bill.bson(), contentType: "application/bson")
            XCTAssertEqual(bson.body, Self.bsonFailure(errcode: 1002, errmsg: message), name)
        }
        try assertNoRecord([String(repeating: "n", count: 20), String(repeating: "n", count: 21)])
    }

    func testAUsableBillnumIsStillEchoed() throws {
        let billnum = ScanCodeBillNumbers.next("echo")
        let reply = try client.scanCode(ScanCodeBill.valid(billnum).setting("paytype", nil).json(), contentType: "application/json")
        XCTAssertEqual(
            reply.text,
            #"{"errcode":1002,"errmsg":"The paytype field is required.","tag":{"billnum":"\#(billnum)","autoid":null,"codeurl":null}}"#)
    }

    /// Query and Cancel for a bill that has no record: 2003 and a null tag.
    func testLookupFailuresAnswerANullTag() throws {
        let billnum = ScanCodeBillNumbers.next("nobill")
        let message = "The payment record was not found; check the bill number."
        let query = try client.post(
            "/api/3Pay/AliPay/Query", Array(#"{"billtype":"2","billnum":"\#(billnum)"}"#.utf8), contentType: "application/json")
        XCTAssertEqual(query.text, #"{"errcode":2003,"errmsg":"\#(message)","tag":null}"#)
        let cancel = try client.post(
            "/api/3Pay/AliPay/Cancel", Array("billtype=2&billnum=\(billnum)".utf8),
            contentType: "application/x-www-form-urlencoded", accept: "application/xml")
        XCTAssertEqual(
            cancel.text,
            Self.xmlFailure(root: "CommonOperationResultWithTagOfPayQueryResultKp9g8rEY", errcode: 2003, errmsg: message))
        let byID = try client.get("/api/3Pay/AliPay/Query?autoid=999999999999")
        XCTAssertEqual(byID.text, #"{"errcode":2003,"errmsg":"\#(message)","tag":null}"#)
    }
}
