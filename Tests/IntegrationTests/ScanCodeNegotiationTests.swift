import Foundation
import XCTest

/// Which format the ScanCode answer comes in: ASP.NET Web API's negotiation over Accept,
/// X-Requested-With and the request's Content-Type (legacy-compat §1), observed through nginx.
final class ScanCodeNegotiationTests: ScanCodeTestCase {
    static let javaDefaultAccept = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    static let jQueryAccept = "application/json, text/javascript, */*; q=0.01"
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    struct Case {
        let name: String
        let accept: String?
        let contentType: String
        let format: ScanCodeTestCase.Format
        var requestedWith: String? = nil
        let answer: String
    }

    static let cases: [Case] = [
        Case(name: "no Accept, JSON", accept: nil, contentType: "application/json", format: .json,
             answer: "application/json; charset=utf-8"),
        Case(name: "no Accept, text/json echoed", accept: nil, contentType: "text/json", format: .json,
             answer: "text/json; charset=utf-8"),
        Case(name: "no Accept, XML", accept: nil, contentType: "application/xml", format: .xml,
             answer: "application/xml; charset=utf-8"),
        Case(name: "no Accept, text/xml echoed", accept: nil, contentType: "text/xml; charset=utf-8", format: .xml,
             answer: "text/xml; charset=utf-8"),
        Case(name: "no Accept, form", accept: nil, contentType: "application/x-www-form-urlencoded", format: .form,
             answer: "application/json; charset=utf-8"),
        Case(name: "*/* beats the XML Content-Type", accept: "*/*", contentType: "application/xml", format: .xml,
             answer: "application/json; charset=utf-8"),
        Case(name: "Java default Accept is discarded whole", accept: javaDefaultAccept, contentType: "application/xml",
             format: .xml, answer: "application/xml; charset=utf-8"),
        Case(name: "jQuery Accept with a form", accept: jQueryAccept,
             contentType: "application/x-www-form-urlencoded; charset=UTF-8", format: .form,
             answer: "application/json; charset=utf-8"),
        Case(name: "browser Accept with JSON", accept: browserAccept, contentType: "application/json", format: .json,
             answer: "application/xml; charset=utf-8"),
        Case(name: "Accept application/xml with JSON", accept: "application/xml", contentType: "application/json",
             format: .json, answer: "application/xml; charset=utf-8"),
        Case(name: "Accept text/json echoed", accept: "text/json", contentType: "application/json", format: .json,
             answer: "text/json; charset=utf-8"),
        Case(name: "Accept text/xml echoed with a form", accept: "text/xml",
             contentType: "application/x-www-form-urlencoded", format: .form, answer: "text/xml; charset=utf-8"),
        Case(name: "higher q wins", accept: "application/json;q=0.5, application/xml", contentType: "application/json",
             format: .json, answer: "application/xml; charset=utf-8"),
        Case(name: "media types ignore case", accept: "APPLICATION/XML", contentType: "application/json", format: .json,
             answer: "application/xml; charset=utf-8"),
        Case(name: "text/* picks the first writer's text type", accept: "text/*", contentType: "application/xml",
             format: .xml, answer: "text/json; charset=utf-8"),
        Case(name: "q=0 entries are skipped", accept: "application/xml;q=0", contentType: "application/xml", format: .xml,
             answer: "application/xml; charset=utf-8"),
        Case(name: "XMLHttpRequest with */*", accept: "*/*", contentType: "application/xml", format: .xml,
             requestedWith: "XMLHttpRequest", answer: "application/json; charset=utf-8"),
        Case(name: "Accept BSON with XML", accept: "application/bson",
             contentType: "application/xml", format: .xml, answer: "application/bson; charset=utf-8"),
        Case(name: "no Accept, BSON", accept: nil, contentType: "application/bson", format: .bson,
             answer: "application/bson; charset=utf-8"),
        Case(name: "Accept JSON with BSON", accept: "application/json", contentType: "application/bson", format: .bson,
             answer: "application/json; charset=utf-8"),
        Case(name: "*/* beats the BSON Content-Type", accept: "*/*", contentType: "application/bson", format: .bson,
             answer: "application/json; charset=utf-8"),
        Case(name: "XMLHttpRequest with a BSON body", accept: nil, contentType: "application/bson", format: .bson,
             requestedWith: "XMLHttpRequest", answer: "application/json; charset=utf-8"),
    ]

    /// Every case with a request that fails validation (no gateway call): the answer's
    /// Content-Type, and an envelope in that format carrying errcode 1002.
    func testAnswerFormatFollowsTheLegacyNegotiation() throws {
        for item in Self.cases {
            let billnum = ScanCodeBillNumbers.next("neg")
            let bill = ScanCodeBill.valid(billnum).setting("billtype", nil)
            let headers = item.requestedWith.map { [("X-Requested-With", $0)] } ?? []
            let reply = try client.scanCode(
                item.format.render(bill), contentType: item.contentType, accept: item.accept, headers: headers)
            XCTAssertEqual(reply.header("Content-Type"), item.answer, item.name)
            let answer = try envelope(reply)
            XCTAssertEqual(answer.errcode, 1002, item.name)
            let format: ScanCodeEnvelope.Format = item.answer.contains("xml") ? .xml : item.answer.contains("bson") ? .bson : .json
            XCTAssertEqual(answer.format, format, item.name)
            XCTAssertEqual(answer.billnum, billnum, item.name)
            try assertNoRecord([billnum], item.name)
        }
    }

    func testAcceptXMLWithAJSONBodyAnswersTheLegacyXML() throws {
        let billnum = ScanCodeBillNumbers.next("negx")
        let (reply, answer) = try send(ScanCodeBill.valid(billnum), as: .json, accept: "application/xml")
        XCTAssertEqual(reply.header("Content-Type"), "application/xml; charset=utf-8")
        let record = try assertIssued(answer, billnum: billnum)
        XCTAssertEqual(
            reply.text,
            ScanCodeLegacyAnswer.xmlSuccess(autoid: record.autoid, billnum: billnum, codeurl: record.codeurl ?? ""))
    }

    func testJavaClientWithXMLGetsTheLegacyXMLSuccess() throws {
        let billnum = ScanCodeBillNumbers.next("negj")
        let (reply, answer) = try send(
            ScanCodeBill.valid(billnum).sortedByName, as: .xml, contentType: "application/xml; charset=UTF-8",
            accept: Self.javaDefaultAccept)
        XCTAssertEqual(reply.header("Content-Type"), "application/xml; charset=utf-8")
        let record = try assertIssued(answer, billnum: billnum)
        XCTAssertEqual(
            reply.text,
            ScanCodeLegacyAnswer.xmlSuccess(autoid: record.autoid, billnum: billnum, codeurl: record.codeurl ?? ""))
    }

    /// The error envelope's XML shape: nil tag members spelled `i:nil="true" />`.
    func testXMLValidationErrorHasTheLegacyShape() throws {
        let billnum = ScanCodeBillNumbers.next("negn")
        let (reply, answer) = try send(ScanCodeBill.valid(billnum).setting("paytype", nil), as: .xml)
        XCTAssertEqual(answer.errcode, 1002)
        let text = reply.text
        let expectedStart = "<CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
            + " xmlns=\"http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer\"><errcode>1002</errcode><errmsg>"
        XCTAssertTrue(text.hasPrefix(expectedStart), text)
        XCTAssertTrue(text.hasSuffix("</tag></CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY>"), text)
        XCTAssertTrue(text.contains("<d2p1:autoid i:nil=\"true\" /><d2p1:billnum>\(billnum)</d2p1:billnum><d2p1:codeurl i:nil=\"true\" />"), text)
        try assertNoRecord([billnum])
    }
}
