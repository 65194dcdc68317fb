import ContentNegotiation
import PaymentModel
import XCTest

final class XMLDecodingTests: XCTestCase {
    private let xml = "application/xml"
    private let ns = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay"

    private func document(_ members: String, root: String = "AliScanCodeParm") -> [UInt8] {
        Body.utf8(#"<\#(root) xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="\#(ns)">\#(members)</\#(root)>"#)
    }

    func testSeedSampleDecodesAndValidates() throws {
        let body = """
        <AliScanCodeParm xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="\(ns)">
          <billnum>B20180101001</billnum>
          <billtype>7</billtype>
          <body>sample string 3</body>
          <cardno>C8</cardno>
          <clientip>202.96.128.68</clientip>
          <detail>sample string 6</detail>
          <paymentvalue>5</paymentvalue>
          <paytype>01</paytype>
        </AliScanCodeParm>
        """
        let decoded = try XCTUnwrap(fields("text/xml", Body.utf8(body)))
        XCTAssertEqual(decoded, ScanCodeFields(
            billnum: "B20180101001", billtype: "7", body: "sample string 3", paytype: "01",
            paymentvalue: RawAmount(text: "5", source: .xmlText), detail: "sample string 6",
            clientip: "202.96.128.68", cardno: "C8"
        ))
        let request = try ScanCodeValidator.validate(decoded).get()
        XCTAssertEqual(request.billtype, .storedValueCardRecharge)
        XCTAssertEqual(request.paymentvalue.description, "5.00")
    }

    func testDeclarationOrderAndNoNamespaceAreAccepted() {
        let body = "<AliScanCodeParm><billnum>B1</billnum><billtype>1</billtype><body>b</body><paytype>01</paytype>"
            + "<paymentvalue> 0.01 </paymentvalue><detail>d</detail><clientip>::1</clientip><cardno>c</cardno></AliScanCodeParm>"
        let decoded = fields(xml, Body.utf8(body))
        XCTAssertEqual(decoded?.paymentvalue?.text, " 0.01 ")
        XCTAssertEqual(decoded?.cardno, "c")
        XCTAssertEqual(decoded?.clientip, "::1")
    }

    func testPrefixedNamespaceIsTheSameName() {
        let body = #"<p:AliScanCodeParm xmlns:p="\#(ns)"><p:billnum>B1</p:billnum><billnum>B2</billnum></p:AliScanCodeParm>"#
        XCTAssertEqual(fields(xml, Body.utf8(body))?.billnum, "B1")
    }

    func testWrongRootOrNamespaceIsUnreadable() {
        XCTAssertEqual(failure(xml, document("", root: "AliQueryParm"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8(#"<AliScanCodeParm xmlns="urn:other"/>"#))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8("<aliscancodeparm/>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8("<AliScanCodeParm>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8("<AliScanCodeParm></AliScanCodeparm>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8("<AliScanCodeParm/><x/>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("loose text"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<billnum><b>x</b></billnum>"))?.errcode, 1001)
    }

    func testMemberRules() {
        let decoded = fields(xml, document(
            #"<BillNum>wrong case</BillNum><billnum> x </billnum><billnum>second</billnum><body/>"#
                + #"<paytype i:nil="true"/><detail><![CDATA[<a & b>]]></detail><cardno>a&lt;&#x4E2D;&#25991;&amp;&quot;&apos;</cardno>"#
                + #"<clientip xmlns="urn:other">1.2.3.4</clientip><unknown><deep><er/></deep></unknown>"#
        ))
        XCTAssertEqual(decoded?.billnum, " x ", "not trimmed; wrong-case ignored; first wins")
        XCTAssertEqual(decoded?.body, "")
        XCTAssertNil(decoded?.paytype)
        XCTAssertEqual(decoded?.detail, "<a & b>")
        XCTAssertEqual(decoded?.cardno, "a<中文&\"'")
        XCTAssertNil(decoded?.clientip, "foreign namespace ignored")
        XCTAssertEqual(fields(xml, document("<billnum i:nil=\"true\">x</billnum><billnum>y</billnum>"))?.billnum, nil)
        XCTAssertEqual(fields(xml, document("<body>a\r\nb\rc<!-- note --></body>"))?.body, "a\nb\nc")
    }

    /// Repeats are found by name (raw or resolved), declarations are in scope for their element only, and
    /// markup that merely starts like a delimiter is text.
    func testRepeatedAttributesAndNamespaceScope() {
        let root = "<AliScanCodeParm xmlns:p=\"\(ns)\">"
        for repeated in [#"<u a="1" a="2"/>"#, #"<u xmlns:q="urn:q" xmlns:q="urn:q"/>"#, #"<u xmlns="urn:q" xmlns="urn:q"/>"#,
                         #"<u xmlns:q="urn:q" xmlns:r="urn:q" q:a="1" r:a="2"/>"#] {
            XCTAssertEqual(failure(xml, Body.utf8(root + repeated + "</AliScanCodeParm>"))?.errcode, 1001, repeated)
        }
        let inScope = root + #"<u xmlns:q="urn:q" q:a="1" a="2" xmlns:r="urn:r" r:a="3"/><u q:b="1" xmlns:q="urn:q"/>"#
            + #"<u xmlns:p="urn:other"><p:billnum>foreign</p:billnum></u><p:billnum>B1</p:billnum></AliScanCodeParm>"#
        XCTAssertEqual(fields(xml, Body.utf8(inScope))?.billnum, "B1", "p is the contract's namespace again after <u> ends")
        let outOfScope = root + #"<u xmlns:q="urn:q"/><q:billnum>B1</q:billnum></AliScanCodeParm>"#
        XCTAssertEqual(failure(xml, Body.utf8(outOfScope))?.message.contains("undeclared namespace prefix"), true)
        let delimiters = root + "<p:body>a]]b]<![CDATA[x]]y]]]><!-- - --><?pi ? > ?>-</p:body></AliScanCodeParm>"
        XCTAssertEqual(fields(xml, Body.utf8(delimiters))?.body, "a]]b]x]]y]-")
    }

    func testDoctypeAndEntitiesAreRefused() {
        let billionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
        <AliScanCodeParm><body>&lol3;</body></AliScanCodeParm>
        """
        XCTAssertEqual(failure(xml, Body.utf8(billionLaughs))?.errcode, 1006)
        let external = #"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><AliScanCodeParm><body>&x;</body></AliScanCodeParm>"#
        XCTAssertEqual(failure(xml, Body.utf8(external))?.errcode, 1006)
        XCTAssertEqual(failure(xml, document("<body><!ENTITY x \"y\"></body>"))?.errcode, 1006)
        XCTAssertEqual(failure(xml, document("<body>&nbsp;</body>"))?.errcode, 1001, "undefined entity")
        XCTAssertEqual(failure(xml, document("<body>&#0;</body>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<body>&#x1;</body>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<body>&#+65;</body>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<body>a & b</body>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<body>\u{01}</body>"))?.errcode, 1001)
        XCTAssertEqual(failure(xml, document("<p:body>x</p:body>"))?.errcode, 1001, "undeclared prefix")
        XCTAssertEqual(failure(xml, document(#"<body a="1" a="2">x</body>"#))?.errcode, 1001)
    }

    func testDepthIsLimited() {
        let deep = String(repeating: "<a>", count: 5_000) + String(repeating: "</a>", count: 5_000)
        XCTAssertEqual(failure(xml, document("<unknown>" + deep + "</unknown>"))?.errcode, 1001)
    }

    func testDeclarationEncodingMustAgree() {
        let utf8Declared = Body.utf8(#"<?xml version="1.0" encoding="utf-8"?>"#) + document("<body>门票</body>")
        XCTAssertEqual(fields(xml, utf8Declared)?.body, "门票")
        let gbkDeclaredUTF8Bytes = Body.utf8(#"<?xml version="1.0" encoding="gbk"?>"#) + document("<body>x</body>")
        XCTAssertEqual(failure("application/xml; charset=utf-8", gbkDeclaredUTF8Bytes)?.errcode, 1003)
        XCTAssertEqual(fields("application/xml; charset=gb2312", gbkDeclaredUTF8Bytes)?.body, "x", "GBK family on both sides")
        XCTAssertEqual(failure(xml, Body.utf8(#"<?xml version="1.0" encoding="utf-16"?><AliScanCodeParm/>"#))?.errcode, 1003)
        XCTAssertEqual(failure(xml, Body.utf8(#"<?xml version="1.0" encoding="x-unknown"?><AliScanCodeParm/>"#))?.errcode, 1003)
        XCTAssertEqual(failure(xml, Body.utf8(#"<?xml version='1.0' standalone='yes' encoding='utf-8'?><AliScanCodeParm/>"#))?.errcode, 1001)
        XCTAssertEqual(failure(xml, Body.utf8(#" <?xml version="1.0"?><AliScanCodeParm/>"#))?.errcode, 1001, "declaration not first")
    }

    func testGBKBodies() {
        let gbkBody: [UInt8] = Body.utf8("<AliScanCodeParm><body>") + [0xC3, 0xC5, 0xC6, 0xB1] + Body.utf8("</body></AliScanCodeParm>")
        XCTAssertEqual(fields("text/xml; charset=GBK", gbkBody)?.body, "门票")
        let declared = Body.utf8(#"<?xml version="1.0" encoding="GB2312"?>"#) + gbkBody
        XCTAssertEqual(fields("text/xml", declared)?.body, "门票", "the declaration names the charset when the header does not")
        XCTAssertEqual(failure("text/xml; charset=utf-8", declared)?.errcode, 1003)
        XCTAssertEqual(failure("text/xml", gbkBody)?.errcode, 1003)
    }

    func testUTF16WithBOM() {
        let text = #"<?xml version="1.0" encoding="utf-16"?><AliScanCodeParm><body>中</body></AliScanCodeParm>"#
        let bytes: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        XCTAssertEqual(fields("application/xml", bytes)?.body, "中")
        XCTAssertEqual(fields("application/xml; charset=utf-16", bytes)?.body, "中")
    }

    func testEmptyAndWhitespace() {
        XCTAssertEqual(failure(xml, Body.utf8("  \n"))?.errcode, 1007)
        XCTAssertEqual(failure(xml, Body.utf8("<!-- only a comment -->"))?.errcode, 1001)
        XCTAssertEqual(fields(xml, Body.utf8("<?xml version=\"1.0\"?><!-- c --><?pi x?><AliScanCodeParm/> \n")), ScanCodeFields())
    }
}
