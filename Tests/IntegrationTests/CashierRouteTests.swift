import BarcodeReading
import CurlClient
import Foundation
import TestSupport
import XCTest

/// `GET api/3Pay/AliPay/QR` and `GET api/3Pay/AliPay/Cashier` through nginx, without a browser: the pictures
/// are read back with zbarimg (SVG rasterised by librsvg first).
final class CashierRouteTests: LifecycleTestCase {
    private var database: StackDatabase!

    override func setUp() async throws {
        try await super.setUp()
        database = try StackDatabase()
    }

    override func tearDown() async throws {
        database = nil
        try await super.tearDown()
    }

    func testPNGAndSVGAnswersDecodeToTheBillsCodeURL() async throws {
        let bill = try await CashierBill.issue(database)
        for lookup in [bill.byBill, bill.byAutoid] {
            let png = try await HTTP.get(CashierRoutes.qr + "?" + lookup)
            XCTAssertEqual(png.status, 200, png.text)
            XCTAssertEqual(png.header("Content-Type"), "image/png")
            XCTAssertEqual(png.header("Cache-Control"), "no-store")
            XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: png.body), [bill.codeURL], lookup)
            let side = try XCTUnwrap(BarcodeReader.pngSize(png.body))
            XCTAssertEqual(side.width % 8, 0, "8 pixels per module by default")

            let svg = try await HTTP.get(CashierRoutes.qr + "?" + lookup + "&format=svg")
            XCTAssertEqual(svg.status, 200, svg.text)
            XCTAssertEqual(svg.header("Content-Type"), "image/svg+xml; charset=utf-8")
            XCTAssertEqual(svg.header("Cache-Control"), "no-store")
            XCTAssertTrue(svg.text.contains(#"width="\#(side.width)""#), "the same size as the PNG")
            XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: BarcodeReader.rasterize(svg: svg.text)), [bill.codeURL])
        }
    }

    func testSizeIsPixelsPerModuleFrom1To20AndOtherValuesAre1002() async throws {
        let bill = try await CashierBill.issue(database)
        let standard = try await HTTP.get(CashierRoutes.qr + "?" + bill.byAutoid)
        let modules = try XCTUnwrap(BarcodeReader.pngSize(standard.body)).width / 8
        for size in [1, 3, 20] {
            let reply = try await HTTP.get(CashierRoutes.qr + "?\(bill.byAutoid)&size=\(size)")
            XCTAssertEqual(BarcodeReader.pngSize(reply.body)?.width, modules * size, "size \(size)")
            if size >= 3 { XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: reply.body), [bill.codeURL]) }
        }
        let upper = try await HTTP.get(CashierRoutes.qr + "?\(bill.byAutoid)&SIZE=4&Format=SVG")
        XCTAssertTrue(upper.text.contains(#"width="\#(modules * 4)""#), "option names and values are case-insensitive")
        for bad in ["0", "21", "-1", "8.5", "abc", "1e1", "0x10", "%EF%BC%98", "99999999999999999999"] {
            let reply = try await HTTP.get(CashierRoutes.qr + "?\(bill.byAutoid)&size=\(bad)")
            try assertEnvelope(reply, 1002, "size=\(bad)")
            XCTAssertTrue(try LifecycleEnvelope(reply).errmsg?.contains("size") == true)
        }
        for bad in ["gif", "jpeg", "png2"] {
            try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?\(bill.byAutoid)&format=\(bad)"), 1002, bad)
        }
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr), 1002, "no keys")
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?billnum=x"), 1002, "no billtype")
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?autoid=-4"), 1002, "bad autoid")
    }

    /// Paid, voided, replaced, expired or unknown: an envelope with the errcode, never a picture.
    func testABillWithoutAPayableCodeGetsAnEnvelopeNeverAPicture() async throws {
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?autoid=999999999"), 2003, "unknown autoid")
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?billtype=2&billnum=NOSUCHBILL"), 2003, "unknown bill")

        let paid = try await CashierBill.issue(database)
        try await paid.payWithoutNotification()
        let queried = try await LifecycleAPI.query(autoid: paid.autoid)
        XCTAssertEqual(queried.tag["status"], "paid")
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?" + paid.byAutoid), 2001, "paid")

        let voided = try await CashierBill.issue(database)
        let cancelled = try await LifecycleAPI.cancel(voided.lifecycleBill)
        XCTAssertEqual(cancelled.errcode, 0)
        let closed = try await HTTP.get(CashierRoutes.qr + "?" + voided.byBill)
        try assertEnvelope(closed, 2010, "cancelled")
        XCTAssertEqual(try LifecycleEnvelope(closed).errmsg, "This bill's QR code was closed; send the bill again for a new one.")
        XCTAssertEqual(try LifecycleEnvelope(closed).tag["status"], "closed")

        let first = try await CashierBill.issue(amount: "5.00", database)
        let second = try await CashierBill.issue(amount: "6.00", billnum: first.billnum, database)
        XCTAssertNotEqual(first.codeURL, second.codeURL)
        try assertEnvelope(try await HTTP.get(CashierRoutes.qr + "?" + first.byAutoid), 2010, "replaced")
        let current = try await HTTP.get(CashierRoutes.qr + "?" + first.byBill)
        XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: current.body), [second.codeURL], "the bill's current code")

        let expired = try await CashierBill.issue(database)
        try database.age([expired.autoid])
        let late = try await HTTP.get(CashierRoutes.qr + "?" + expired.byAutoid)
        try assertEnvelope(late, 2010, "expired")
        XCTAssertEqual(try LifecycleEnvelope(late).errmsg, "This bill's QR code has expired; send the bill again for a new one.")
    }

    func testTheCashierPageIsOneSelfContainedDocumentUnderAStrictPolicy() async throws {
        let bill = try await CashierBill.issue(database)
        let page = try await HTTP.get(CashierRoutes.cashier + "?" + bill.byBill)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(page.header("Cache-Control"), "no-store")
        XCTAssertEqual(page.header("X-ThreePay-Errcode"), "0")
        let policy = try XCTUnwrap(page.header("Content-Security-Policy"))
        let directives = Dictionary(uniqueKeysWithValues: policy.components(separatedBy: "; ").map { directive in
            let parts = directive.split(separator: " ", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        XCTAssertEqual(directives["default-src"], "'none'")
        XCTAssertEqual(directives["img-src"], "'self'")
        XCTAssertEqual(directives["connect-src"], "'self'")
        XCTAssertTrue(directives["script-src"]?.hasPrefix("'sha256-") == true, policy)
        XCTAssertTrue(directives["style-src"]?.hasPrefix("'sha256-") == true, policy)
        XCTAssertFalse(policy.contains("http"), "no other origin")
        XCTAssertFalse(policy.contains("*"))
        XCTAssertFalse(policy.contains("unsafe"))
        let html = page.text
        XCTAssertTrue(html.contains(#"<img id="qr" src="QR?autoid=\#(bill.autoid)""#))
        XCTAssertTrue(html.contains(#"<link rel="icon" type="image/svg+xml" href="CashierIcon">"#))
        XCTAssertTrue(html.contains(bill.body))
        XCTAssertTrue(html.contains("¥128.00"))
        // No outside address: the only URL in the page is the code's own text in the script's data.
        XCTAssertFalse(html.replacingOccurrences(of: bill.codeURL, with: "").contains("http"), "no outside address")

        // The icon the page names comes from the same location.
        let icon = try await HTTP.get(CashierRoutes.icon)
        XCTAssertEqual(icon.header("Content-Type"), "image/svg+xml; charset=utf-8")
        XCTAssertEqual(BarcodeReader.pngSize(try BarcodeReader.rasterize(svg: icon.text))?.width, 32)

        // A trailing slash: the relative links climb back to the routes.
        let slashed = try await HTTP.get(CashierRoutes.cashier + "/?" + bill.byBill)
        XCTAssertTrue(slashed.text.contains(#"src="../QR?autoid=\#(bill.autoid)""#))
        // Any case, as the other routes.
        let lowerCase = try await HTTP.get("/api/3pay/alipay/cashier?" + bill.byAutoid)
        XCTAssertEqual(lowerCase.header("X-ThreePay-Errcode"), "0")
        let upperCase = try await HTTP.get("/API/3PAY/ALIPAY/QR?" + bill.byAutoid)
        XCTAssertEqual(upperCase.header("Content-Type"), "image/png")
        // GET only.
        let posted = try await HTTP.post(CashierRoutes.qr, Array("{}".utf8), contentType: "application/json")
        XCTAssertEqual(posted.status, 405)
        XCTAssertEqual(posted.header("Allow"), "GET")
    }

    func testThePageSaysWhyThereIsNoCodeAndFailuresShowTheErrcode() async throws {
        let paid = try await CashierBill.issue(database)
        try await paid.payWithoutNotification()
        _ = try await LifecycleAPI.query(autoid: paid.autoid)
        let paidPage = try await HTTP.get(CashierRoutes.cashier + "?" + paid.byAutoid)
        XCTAssertEqual(paidPage.header("X-ThreePay-Errcode"), "2001")
        XCTAssertTrue(paidPage.text.contains(#"<body data-state="paid">"#))
        XCTAssertTrue(paidPage.text.contains("已支付"))
        XCTAssertFalse(paidPage.text.contains("<img"))

        let expired = try await CashierBill.issue(database)
        try database.age([expired.autoid])
        let expiredPage = try await HTTP.get(CashierRoutes.cashier + "?" + expired.byAutoid)
        XCTAssertEqual(expiredPage.header("X-ThreePay-Errcode"), "2010")
        XCTAssertTrue(expiredPage.text.contains(#"<body data-state="expired">"#))
        XCTAssertFalse(expiredPage.text.contains("<img"))
        XCTAssertFalse(expiredPage.text.contains(expired.codeURL), "the old code is not in the page at all")

        let unknown = try await HTTP.get(CashierRoutes.cashier + "?billtype=2&billnum=NOSUCHBILL")
        XCTAssertEqual(unknown.status, 200)
        XCTAssertEqual(unknown.header("X-ThreePay-Errcode"), "2003")
        XCTAssertEqual(unknown.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(unknown.text.contains(#"<body data-state="error">"#))
        XCTAssertTrue(unknown.text.contains("errcode 2003: The payment record was not found; check the bill number."))

        let invalid = try await HTTP.get(CashierRoutes.cashier + "?billtype=9&billnum=B1")
        XCTAssertEqual(invalid.header("X-ThreePay-Errcode"), "1002")
        XCTAssertTrue(invalid.text.contains("errcode 1002: The field billtype must be one of 1-7"), invalid.text)
    }

    /// The page source carries the bill's text only escaped: the raw markup never reaches the document.
    func testHostileBillTextIsEscapedInThePageSource() async throws {
        let hostile = #"</script><img src=x onerror="alert(1)"><script>alert('x')</script>&amp;<!--"#
        let bill = try await CashierBill.issue(body: hostile, database)
        let html = try await HTTP.get(CashierRoutes.cashier + "?" + bill.byAutoid).text
        XCTAssertFalse(html.contains(hostile))
        XCTAssertTrue(html.contains(
            "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;&lt;!--"),
            html)
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<img").count - 1, 1)
    }

    // MARK: Helpers

    /// An envelope (JSON unless asked otherwise) with `errcode`, never stored, and no picture.
    private func assertEnvelope(
        _ reply: HTTPReply, _ errcode: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(reply.header("Content-Type"), "application/json; charset=utf-8", "\(what): \(reply.text)", file: file, line: line)
        XCTAssertEqual(reply.header("Cache-Control"), "no-store", what, file: file, line: line)
        XCTAssertEqual(reply.header("X-ThreePay-Errcode"), String(errcode), what, file: file, line: line)
        XCTAssertEqual(try LifecycleEnvelope(reply).errcode, errcode, "\(what): \(reply.text)", file: file, line: line)
    }
}
