import BarcodeReading
import Foundation
import TestSupport
import XCTest

/// The cashier page in a real headless chromium (Debian's, driven through chromedriver): it loads without a
/// console error, its QR code read from a screenshot is the bill's code, and it follows the bill by itself.
final class CashierBrowserTests: LifecycleTestCase {
    private var browser: CashierBrowser?
    private var database: StackDatabase!

    override func setUp() async throws {
        try await super.setUp()
        database = try StackDatabase()
    }

    override func tearDown() async throws {
        browser?.quit()
        browser = nil
        database = nil
        try await super.tearDown()
    }

    /// An 800×600 POS screen: everything visible without scrolling, the countdown running, and the code in
    /// the screenshot decodes to the bill's codeurl.
    func testOnAPOSScreenThePageShowsTheBillAndACodeThatScans() async throws {
        let bill = try await CashierBill.issue(database)
        let browser = try open(bill.byBill, width: 800, height: 600)

        let layout = try self.layout(browser)
        XCTAssertEqual(layout["innerWidth"], 800)
        XCTAssertEqual(layout["innerHeight"], 600)
        XCTAssertLessThanOrEqual(try XCTUnwrap(layout["scrollWidth"]), 800, "no horizontal scrolling")
        XCTAssertLessThanOrEqual(try XCTUnwrap(layout["scrollHeight"]), 600, "no vertical scrolling at 800×600")
        for element in ["qr", "subject", "amount", "time-left", "status"] {
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(layout["\(element).left"], element), 0, element)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(layout["\(element).top"], element), 0, element)
            XCTAssertLessThanOrEqual(try XCTUnwrap(layout["\(element).right"], element), 800, element)
            XCTAssertLessThanOrEqual(try XCTUnwrap(layout["\(element).bottom"], element), 600, element)
        }
        let page = try snapshot(browser)
        XCTAssertEqual(page.state, "waiting")
        XCTAssertEqual(page.texts["subject"], bill.body)
        XCTAssertEqual(page.texts["amount"], "¥128.00")
        XCTAssertEqual(page.texts["status-zh"], "请使用支付宝扫码付款")
        XCTAssertEqual(page.texts["status-en"], "Scan with Alipay to pay")

        // The countdown: at most the configured 15 minutes, and it runs.
        let first = try XCTUnwrap(page.texts["time-left"])
        XCTAssertNotNil(first.range(of: #"^1[0-5]:[0-5][0-9]$"#, options: .regularExpression), first)
        try browser.wait("the countdown moves", seconds: 3, until: "return document.getElementById('time-left').textContent !== '\(first)'")

        let screenshot = try browser.screenshot()
        try CashierScreenshots.save(screenshot, as: "cashier.png")
        XCTAssertEqual(BarcodeReader.pngSize(screenshot)?.width, 800)
        XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: screenshot), [bill.codeURL])
        try assertNoConsoleError(browser)
    }

    /// A phone (390×844, device pixel ratio 2): one column, nothing wider than the screen, the code scans.
    func testOnAPhoneThePageFitsTheWidthAndTheCodeScans() async throws {
        let bill = try await CashierBill.issue(database)
        let browser = try CashierBrowser.start(width: 390, height: 844, phone: true)
        self.browser = browser
        try browser.open(TestStack.baseURL + CashierRoutes.cashier + "?" + bill.byBill)
        try waitForPicture(browser)
        let layout = try self.layout(browser)
        XCTAssertEqual(layout["innerWidth"], 390)
        XCTAssertLessThanOrEqual(try XCTUnwrap(layout["scrollWidth"]), 390, "no horizontal scrolling")
        XCTAssertLessThanOrEqual(try XCTUnwrap(layout["qr.right"]), 390)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(layout["qr.left"]), 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(layout["qr.bottom"]), 844, "the code is on the first screen")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(layout["amount.top"]), try XCTUnwrap(layout["qr.bottom"]), "one column")
        let screenshot = try browser.screenshot()
        try CashierScreenshots.save(screenshot, as: "cashier-phone.png")
        XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: screenshot), [bill.codeURL])
        try assertNoConsoleError(browser)
    }

    /// The buyer pays at the sandbox (the notification lost, so only the page's own Query polls can learn it):
    /// within 5 s the same document shows 已支付 / Paid with the time, green, and no code.
    func testPaidAtTheSandboxThePageTurnsGreenWithinFiveSecondsWithoutAReload() async throws {
        let bill = try await CashierBill.issue(database)
        let browser = try open(bill.byBill, width: 800, height: 600)
        _ = try browser.run("window.threepaySameDocument = true; return true")

        try await bill.payWithoutNotification()
        try browser.wait("the page shows paid", seconds: 5, until: "return document.body.getAttribute('data-state') === 'paid'")

        let page = try snapshot(browser)
        XCTAssertTrue(page.sameDocument, "not reloaded")
        XCTAssertFalse(page.hasPicture)
        XCTAssertEqual(page.texts["status-zh"], "已支付")
        XCTAssertEqual(page.texts["status-en"], "Paid")
        let query = try await LifecycleAPI.query(autoid: bill.autoid)
        let paytime = try XCTUnwrap(query.tag["paytime"])
        XCTAssertEqual(page.texts["detail"], "支付时间 Paid at \(paytime)")
        XCTAssertEqual(page.background, "rgb(26, 143, 71)", "green")

        let screenshot = try browser.screenshot()
        try CashierScreenshots.save(screenshot, as: "cashier-paid.png")
        XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: screenshot), [], "no code left on the screen")
        try assertNoConsoleError(browser)
    }

    /// The bill is sent again with another amount: the page sees a new autoid and codeurl for the bill, says
    /// so, and the old code disappears from the screen.
    func testAChangedAmountMakesThePageStopShowingTheOldCode() async throws {
        let bill = try await CashierBill.issue(amount: "5.00", database)
        let browser = try open(bill.byBill, width: 800, height: 600)
        let before = try codesOnScreen(browser)
        XCTAssertEqual(before, [bill.codeURL])

        let changed = try await CashierBill.issue(amount: "6.00", billnum: bill.billnum, database)
        XCTAssertNotEqual(changed.codeURL, bill.codeURL)
        try browser.wait("the page gives the old code up", seconds: 10, until: "return document.body.getAttribute('data-state') === 'replaced'")

        let page = try snapshot(browser)
        XCTAssertFalse(page.hasPicture)
        XCTAssertEqual(page.texts["status-zh"], "账单已变更，此二维码已作废")
        XCTAssertEqual(page.texts["status-en"], "The bill was changed; this QR code is void")
        let after = try codesOnScreen(browser)
        XCTAssertEqual(after, [String](), "no code left on the screen")
        try assertNoConsoleError(browser)
    }

    /// Voided by Cancel: the page opened by autoid says closed and drops the code.
    func testACancelledCodeIsShownClosed() async throws {
        let bill = try await CashierBill.issue(database)
        let browser = try open(bill.byAutoid, width: 800, height: 600)
        let cancelled = try await LifecycleAPI.cancel(bill.lifecycleBill)
        XCTAssertEqual(cancelled.errcode, 0)
        try browser.wait("the page shows closed", seconds: 10, until: "return document.body.getAttribute('data-state') === 'closed'")
        let page = try snapshot(browser)
        XCTAssertFalse(page.hasPicture)
        XCTAssertEqual(page.texts["status-en"], "This QR code was closed")
        try assertNoConsoleError(browser)
    }

    /// Markup, script and entity text in the bill is shown as text: no element, script or handler of the
    /// bill's runs (a blocked one would also log a policy violation), and the page still follows the bill.
    func testHostileBillTextIsShownAsTextAndNothingOfItRuns() async throws {
        let hostile = #"</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2"><svg onload="window.pwned=3">&lt;"'<!--"#
        let billnum = "<b>'\"&" + ScanCodeBillNumbers.next("x").suffix(12)
        let bill = try await CashierBill.issue(body: hostile, billnum: billnum, database)
        let browser = try open(bill.byBill, width: 800, height: 600)

        let page = try snapshot(browser)
        XCTAssertEqual(page.texts["subject"], hostile)
        XCTAssertEqual(page.texts["ref"], "单号 Bill \(billnum) · autoid \(bill.autoid)")
        XCTAssertEqual(page.title, "收款 Payment · \(billnum)")
        XCTAssertFalse(page.injectedCodeRan)
        XCTAssertEqual(page.elementCounts, ["script": 2, "img": 1, "svg": 0, "b": 0])
        let onScreen = try codesOnScreen(browser)
        XCTAssertEqual(onScreen, [bill.codeURL])

        // The Query address built from the hostile bill number still finds the bill.
        try await bill.payWithoutNotification()
        try browser.wait("the page shows paid", seconds: 5, until: "return document.body.getAttribute('data-state') === 'paid'")
        let paidPage = try snapshot(browser)
        XCTAssertFalse(paidPage.injectedCodeRan)
        try assertNoConsoleError(browser)
    }

    func testAnUnknownBillShowsTheErrcodeOnThePage() async throws {
        let browser = try CashierBrowser.start()
        self.browser = browser
        try browser.open(TestStack.baseURL + CashierRoutes.cashier + "?billtype=2&billnum=NOSUCHBILL")
        let page = try snapshot(browser)
        XCTAssertEqual(page.state, "error")
        XCTAssertEqual(page.texts["status-en"], "This bill cannot be shown")
        XCTAssertEqual(page.texts["detail"], "errcode 2003: The payment record was not found; check the bill number.")
        try assertNoConsoleError(browser)
    }

    // MARK: Helpers

    /// Starts a browser with a `width` × `height` viewport showing the page for `lookup`, its picture loaded.
    private func open(_ lookup: String, width: Int, height: Int) throws -> CashierBrowser {
        let browser = try CashierBrowser.start(width: width, height: height)
        self.browser = browser
        try browser.open(TestStack.baseURL + CashierRoutes.cashier + "?" + lookup)
        try waitForPicture(browser)
        return browser
    }

    private func waitForPicture(_ browser: CashierBrowser) throws {
        try browser.wait("the QR picture loads", seconds: 10, until: """
            var picture = document.getElementById('qr');
            return picture !== null && picture.complete && picture.naturalWidth > 0
            """)
    }

    /// The QR codes zbarimg reads in a screenshot of the viewport.
    private func codesOnScreen(_ browser: CashierBrowser) throws -> [String] {
        try BarcodeReader.qrCodes(inPNG: try browser.screenshot())
    }

    /// What the page shows, read in one round trip.
    private struct PageSnapshot {
        var state: String?
        /// The text of each of the page's parts, by element id (absent parts are missing).
        var texts: [String: String]
        var title: String?
        var hasPicture: Bool
        var background: String?
        /// Set by a test before something happens: still set means the document was not reloaded.
        var sameDocument: Bool
        /// Whether any script carried by the bill's text ran (it would set `window.pwned`).
        var injectedCodeRan: Bool
        var elementCounts: [String: Int]
    }

    private func snapshot(_ browser: CashierBrowser) throws -> PageSnapshot {
        let value = try browser.run("""
            var texts = {};
            ['subject', 'amount', 'time-left', 'status-zh', 'status-en', 'detail', 'ref'].forEach(function (id) {
              var node = document.getElementById(id);
              if (node) texts[id] = node.textContent;
            });
            var counts = {};
            ['script', 'img', 'svg', 'b'].forEach(function (name) { counts[name] = document.getElementsByTagName(name).length; });
            return {state: document.body.getAttribute('data-state'), texts: texts, title: document.title,
                    picture: document.getElementById('qr') !== null, background: getComputedStyle(document.body).backgroundColor,
                    same: window.threepaySameDocument === true, pwned: typeof window.pwned !== 'undefined', counts: counts};
            """)
        let object = try XCTUnwrap(value as? [String: Any])
        return PageSnapshot(
            state: object["state"] as? String, texts: object["texts"] as? [String: String] ?? [:],
            title: object["title"] as? String, hasPicture: object["picture"] as? Bool ?? false,
            background: object["background"] as? String, sameDocument: object["same"] as? Bool ?? false,
            injectedCodeRan: object["pwned"] as? Bool ?? true,
            elementCounts: (object["counts"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue })
    }

    /// The viewport, the document's scroll size and the bounding boxes of the page's parts, in CSS pixels.
    private func layout(_ browser: CashierBrowser) throws -> [String: Double] {
        let value = try browser.run("""
            var out = {innerWidth: innerWidth, innerHeight: innerHeight,
                       scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight};
            ['qr', 'subject', 'amount', 'time-left', 'status'].forEach(function (id) {
              var node = document.getElementById(id);
              if (!node) return;
              var box = node.getBoundingClientRect();
              out[id + '.left'] = box.left; out[id + '.top'] = box.top;
              out[id + '.right'] = box.right; out[id + '.bottom'] = box.bottom;
            });
            return out;
            """)
        let object = try XCTUnwrap(value as? [String: Any])
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// No error in the console since the page opened: no script error, refused resource or policy violation.
    private func assertNoConsoleError(_ browser: CashierBrowser, file: StaticString = #filePath, line: UInt = #line) throws {
        let entries = try browser.consoleEntries()
        XCTAssertEqual(entries.filter { $0.level == "SEVERE" }.map(\.description), [], file: file, line: line)
    }
}
