@testable import ContentNegotiation
import PaymentModel
import XCTest

final class EnvelopeEncodingTests: XCTestCase {
    private let success = Envelope.success(PayScanCodeResult(billnum: "B1", autoid: "42", codeurl: "u"))
    private let resultNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func testJSONSuccessIsByteExact() {
        XCTAssertEqual(text(encode(success, as: .json)), #"{"errcode":0,"errmsg":"OK","tag":{"billnum":"B1","autoid":"42","codeurl":"u"}}"#)
    }

    func testJSONErrorAndNulls() {
        let error = Envelope<PayScanCodeResult>(error: .validationFailed([.required("billnum")]))
        XCTAssertEqual(text(encode(error, as: .json)), #"{"errcode":1002,"errmsg":"The billnum field is required.","tag":null}"#)
        let nulls = Envelope(errcode: 1, errmsg: nil, tag: PayScanCodeResult(billnum: "", autoid: nil, codeurl: nil))
        XCTAssertEqual(text(encode(nulls, as: .json)), #"{"errcode":1,"errmsg":null,"tag":{"billnum":"","autoid":null,"codeurl":null}}"#)
    }

    func testJSONEscaping() {
        let message = "q\" b\\ n\n r\r t\t b\u{08} f\u{0C} c\u{01}\u{1F} \u{85}\u{2028}\u{2029} / < > & ' 中文 😀 \u{7F}"
        let envelope = Envelope<NoTag>(errcode: -1, errmsg: message, tag: nil)
        XCTAssertEqual(
            text(encode(envelope, as: .json)),
            #"{"errcode":-1,"errmsg":"q\" b\\ n\n r\r t\t b\b f\f c\u0001\u001f \u0085\u2028\u2029 / < > & ' 中文 😀 "# + "\u{7F}" + #"","tag":null}"#
        )
    }

    func testXMLSuccessIsByteExact() {
        XCTAssertEqual(
            text(encode(success, as: .xml)),
            #"<CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer"><errcode>0</errcode><errmsg>OK</errmsg><tag xmlns:d2p1="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"><d2p1:autoid>42</d2p1:autoid><d2p1:billnum>B1</d2p1:billnum><d2p1:codeurl>u</d2p1:codeurl></tag></CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY>"#
        )
    }

    func testXMLErrorTailIsByteExact() {
        let error = Envelope<PayScanCodeResult>(errcode: 1, errmsg: "msg", tag: nil)
        XCTAssertEqual(
            text(encode(error, as: .xml)),
            #"<CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer"><errcode>1</errcode><errmsg>msg</errmsg><tag xmlns:d2p1="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay" i:nil="true" /></CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY>"#
        )
    }

    func testXMLNullsEmptyAndEscaping() {
        let envelope = Envelope(
            errcode: -2, errmsg: "",
            tag: PayScanCodeResult(billnum: "a&b<c>d\"e'f\tg\nh\r\ni\rj\u{01}k\u{1F}l\u{FFFE}中😀", autoid: nil, codeurl: "")
        )
        let body = text(encode(envelope, as: .xml))
        XCTAssertTrue(body.contains("<errcode>-2</errcode><errmsg></errmsg><tag xmlns:d2p1=\"\(resultNamespace)\"><d2p1:autoid i:nil=\"true\" />"))
        XCTAssertTrue(body.contains("<d2p1:billnum>a&amp;b&lt;c&gt;d\"e'f\tg\r\nh\r\ni\r\nj&#x1;k&#x1F;l&#xFFFE;中😀</d2p1:billnum><d2p1:codeurl></d2p1:codeurl></tag>"))
        let nullMessage = text(encode(Envelope<PayScanCodeResult>(errcode: 5000, errmsg: nil, tag: nil), as: .xml))
        XCTAssertTrue(nullMessage.contains("<errmsg i:nil=\"true\" />"))
    }

    func testUntypedEnvelope() {
        let envelope = UntypedEnvelope(error: .notFound)
        XCTAssertEqual(text(encode(envelope, as: .json)), #"{"errcode":1404,"errmsg":"\#(ErrorCode.notFound.defaultMessage)","tag":null}"#)
        XCTAssertEqual(
            text(encode(envelope, as: .xml)),
            #"<CommonOperationResultWithTagOfanyType xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer"><errcode>1404</errcode><errmsg>\#(ErrorCode.notFound.defaultMessage)</errmsg><tag i:nil="true" /></CommonOperationResultWithTagOfanyType>"#
        )
    }

    /// A later endpoint's tag, to show the envelope is generic.
    private struct QueryTag: EnvelopeTag {
        static let xmlRootName = "CommonOperationResultWithTagOfPayQueryResultKp9g8rEY"
        static let contractNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"
        var members: [TagMember] { [TagMember("status", "1"), TagMember("Zeta", "z"), TagMember("alpha", nil)] }
    }

    func testOtherTagsSortOrdinallyInXMLAndKeepOrderInJSON() throws {
        let envelope = Envelope.success(QueryTag())
        XCTAssertEqual(text(encode(envelope, as: .json)), #"{"errcode":0,"errmsg":"OK","tag":{"status":"1","Zeta":"z","alpha":null}}"#)
        let xml = text(encode(envelope, as: .xml))
        XCTAssertTrue(xml.hasPrefix("<CommonOperationResultWithTagOfPayQueryResult\(try DotNetContractName.namespacesDigest([resultNamespace])) "))
        XCTAssertTrue(xml.contains("<d2p1:Zeta>z</d2p1:Zeta><d2p1:alpha i:nil=\"true\" /><d2p1:status>1</d2p1:status>"))
    }

    func testGenericNameDigest() throws {
        XCTAssertEqual(try DotNetContractName.namespacesDigest([resultNamespace]), "Kp9g8rEY")
        XCTAssertEqual(PayScanCodeResult.xmlRootName, "CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY")
        XCTAssertEqual(try DotNetContractName.generic("string", BuiltInTag.self), "CommonOperationResultWithTagOfstring")
    }

    /// A serialization built-in argument (`string`): no digest.
    private enum BuiltInTag: EnvelopeTag {
        static let xmlRootName = "CommonOperationResultWithTagOfstring"
        static let contractNamespace = "http://www.w3.org/2001/XMLSchema"
        static let isBuiltInContract = true
        var members: [TagMember] { switch self {} }
    }
}
