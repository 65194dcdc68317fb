import Foundation
import JSON
import RSASigning
import XCTest

@testable import CashierPage

final class CashierPageTests: XCTestCase {
    /// Text that would end the data block, open an element with a handler, or close an attribute, were it not
    /// escaped.
    static let hostile = #"</script><img src=x onerror="alert(1)"><script>alert('x')</script> & <!-- " ' é 景区"#
    static let hostileBillnum = "</script><b>&\"'"

    private func waitingView() -> CashierView {
        var view = CashierView(state: .waiting)
        view.billnum = "B20261205"
        view.billtype = "2"
        view.autoid = "42"
        view.subject = "景区门票 Adult ticket"
        view.amount = "5.00"
        view.codeURL = "https://qr.alipay.com/bax03120abcd"
        view.expiresInSeconds = 900
        view.pictureSide = 296
        return view
    }

    func testWaitingPageShowsTheBillTheCodeAndTheTimeLeft() throws {
        let html = CashierPage.html(waitingView())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">"), html)
        XCTAssertTrue(html.contains(#"<meta charset="utf-8">"#))
        XCTAssertTrue(html.contains(#"<body data-state="waiting">"#))
        XCTAssertTrue(html.contains(#"<img id="qr" src="QR?autoid=42" width="296" height="296""#), html)
        XCTAssertTrue(html.contains(#"<p class="value subject" id="subject">景区门票 Adult ticket</p>"#))
        XCTAssertTrue(html.contains(#"<p class="value amount" id="amount">¥5.00</p>"#))
        XCTAssertTrue(html.contains(#"<p class="value time" id="time-left">15:00</p>"#))
        XCTAssertTrue(html.contains("请使用支付宝扫码付款"))
        XCTAssertTrue(html.contains("Scan with Alipay to pay"))
        // Nothing from outside: no address with a scheme or a protocol-relative one, no @import, no url().
        for outside in ["http:", "https:", "//cdn", "src=\"//", "@import", "url("] {
            XCTAssertFalse(html.replacingOccurrences(of: "https://qr.alipay.com/bax03120abcd", with: "").contains(outside), outside)
        }
        let data = try dataBlock(html)
        XCTAssertEqual(data["autoid"]?.scalarText, "42")
        XCTAssertEqual(data["codeurl"]?.scalarText, "https://qr.alipay.com/bax03120abcd")
        XCTAssertEqual(data["queryPath"]?.scalarText, "Query?billtype=2&billnum=B20261205")
        XCTAssertEqual(data["pollMs"]?.scalarText, "2000")
        XCTAssertEqual(data["expiresIn"]?.scalarText, "900")
    }

    func testEveryStateSaysWhatItIsInBothLanguagesAndOnlyWaitingShowsACode() throws {
        for state in CashierView.State.allCases {
            var view = waitingView()
            view.state = state
            view.paidAt = "2026-12-05 10:11:12"
            view.failure = (2003, "The payment record was not found; check the bill number.")
            let html = CashierPage.html(view)
            let words = CashierTexts.status(state)
            XCTAssertTrue(html.contains(#"<span id="status-zh">\#(words.zh)</span>"#), "\(state)")
            XCTAssertTrue(html.contains(#"<span class="en" id="status-en" lang="en">\#(words.en)</span>"#), "\(state)")
            XCTAssertEqual(html.contains("<img"), state == .waiting, "\(state)")
            XCTAssertEqual(html.contains(#"id="time-left""#), state == .waiting, "\(state)")
            XCTAssertTrue(html.contains(#"<body data-state="\#(state.rawValue)">"#), "\(state)")
            let texts = try XCTUnwrap(try dataBlock(html)["texts"], "\(state)")
            XCTAssertEqual(texts[state.rawValue], .array([.string(words.zh), .string(words.en)]))
        }
        var paid = waitingView()
        paid.state = .paid
        paid.paidAt = "2026-12-05 10:11:12"
        XCTAssertTrue(CashierPage.html(paid).contains(#"<p class="detail" id="detail">支付时间 Paid at 2026-12-05 10:11:12</p>"#))
        var error = CashierView(state: .error)
        error.failure = (2003, "The payment record was not found; check the bill number.")
        XCTAssertTrue(CashierPage.html(error).contains("errcode 2003: The payment record was not found; check the bill number."))
    }

    func testBillTextIsEscapedInTheDocumentAndInTheDataBlock() throws {
        var view = waitingView()
        view.subject = Self.hostile
        view.billnum = Self.hostileBillnum
        view.amount = "<b>5.00</b>"
        let html = CashierPage.html(view)
        XCTAssertFalse(html.contains(Self.hostile))
        XCTAssertFalse(html.contains(Self.hostileBillnum))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains(
            "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;!-- &quot; &#39; é 景区"),
            html)
        // Exactly the page's own elements: two scripts (data and code), one picture, no comment.
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<img").count - 1, 1)
        XCTAssertFalse(html.contains("<!--"))
        // The data block reads back to the very same texts.
        let data = try dataBlock(html)
        XCTAssertEqual(data["billnum"]?.scalarText, Self.hostileBillnum)
        XCTAssertEqual(
            data["queryPath"]?.scalarText,
            "Query?billtype=2&billnum=%3C%2Fscript%3E%3Cb%3E%26%22%27")
    }

    func testLineSeparatorsAndControlCharactersStayInsideTheirStrings() throws {
        var view = waitingView()
        view.billnum = "A\u{2028}B\u{2029}C\n\"\\"
        let data = try dataBlock(CashierPage.html(view))
        XCTAssertEqual(data["billnum"]?.scalarText, "A\u{2028}B\u{2029}C\n\"\\")
    }

    /// The policy names exactly the page's inline script and style by their SHA-256, and nothing else may run.
    func testThePolicyAllowsExactlyThePagesOwnScriptAndStyle() throws {
        // SHA-256 itself, on the FIPS 180-2 example.
        XCTAssertEqual(
            SHA256Digest.of(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let html = CashierPage.html(waitingView())
        let script = try between(html, "<script>", "</script>")
        let style = try between(html, "<style>", "</style>")
        let policy = CashierPage.contentSecurityPolicy
        XCTAssertEqual(
            policy,
            "default-src 'none'; script-src '\(sha256(script))'; style-src '\(sha256(style))'; img-src 'self'; "
                + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
        XCTAssertFalse(policy.contains("unsafe"))
        // Attributes the hashes do not cover (they would need 'unsafe-inline'), in the markup outside the two.
        let markup = html.replacingOccurrences(of: script, with: "").replacingOccurrences(of: style, with: "")
        XCTAssertNil(markup.range(of: #"<[a-z]+[^>]*\s(style|on[a-z]+)\s*="#, options: .regularExpression), markup)
    }

    func testLinksReachTheSiblingRoutesFromAPathWithTrailingSlashes() throws {
        var view = waitingView()
        view.linkPrefix = "../../"
        let html = CashierPage.html(view)
        XCTAssertTrue(html.contains(#"src="../../QR?autoid=42""#))
        XCTAssertEqual(try dataBlock(html)["queryPath"]?.scalarText, "../../Query?billtype=2&billnum=B20261205")
    }

    func testClockAndPercentEncoding() {
        XCTAssertEqual(CashierPage.clock(900), "15:00")
        XCTAssertEqual(CashierPage.clock(61), "1:01")
        XCTAssertEqual(CashierPage.clock(0), "0:00")
        XCTAssertEqual(CashierPage.clock(-5), "0:00")
        XCTAssertEqual(HexDigit.percentEncoded("a b&c=d+e/景~._-"), "a%20b%26c%3Dd%2Be%2F%E6%99%AF~._-")
    }

    // MARK: Helpers

    /// The JSON value of the page's data block.
    private func dataBlock(_ html: String) throws -> JSONNode {
        let text = try between(html, #"<script type="application/json" id="cashier-data">"#, "</script>")
        XCTAssertFalse(text.contains("<"), "no tag can start inside the data block")
        return try JSONParser.parse(Array(text.utf8))
    }

    private func between(_ text: String, _ start: String, _ end: String) throws -> String {
        let from = try XCTUnwrap(text.range(of: start), "no \(start)")
        let to = try XCTUnwrap(text.range(of: end, range: from.upperBound..<text.endIndex), "no \(end)")
        return String(text[from.upperBound..<to.lowerBound])
    }

    private func sha256(_ text: String) -> String {
        "sha256-" + Data(SHA256Digest.of(Array(text.utf8))).base64EncodedString()
    }
}
