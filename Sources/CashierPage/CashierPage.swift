import Foundation
import JSON
import RSASigning

/// The cashier page: one self-contained UTF-8 HTML document (inline style and script, no outside resource)
/// showing a bill's subject, amount, QR code and time left, which turns green by itself when the bill is paid.
///
/// Every bill text is HTML-escaped where it is shown, and JSON-escaped (with `<`, `>`, `&` as `\u` escapes)
/// in the data block the script reads; the script and style are constants, allowed by their hashes in the
/// Content-Security-Policy, so nothing a bill carries can run.
public enum CashierPage {
    /// How often the page asks Query, milliseconds.
    public static let pollMilliseconds = 2000
    /// How long after the code expired the page still asks (a last-second payment is reported late).
    public static let graceMilliseconds = 120_000

    /// The page's policy: its own origin for the picture and Query, its own script and style by hash, nothing
    /// else (no other script, style, font, frame, form target or base URL).
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src '\(hash(CashierScript.javascript))'; "
        + "style-src '\(hash(CashierStyle.css))'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

    /// The page's icon, served by ThreePay itself (`GET api/3Pay/AliPay/CashierIcon`): without one the browser
    /// asks the site for `/favicon.ico`, which is not ThreePay's to answer.
    public static let iconSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="#1677ff"/>\
        <path d="M10 8l6 8 6-8M9 17h14M9 22h14M16 16v10" stroke="#fff" stroke-width="2.6" fill="none"/></svg>

        """

    /// The `sha256-…` source of an inline element's text.
    static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256Digest.of(Array(text.utf8))).base64EncodedString()
    }

    /// The page for `view`.
    public static func html(_ view: CashierView) -> String {
        let words = CashierTexts.self
        var html = """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>\(words.title.zh) \(words.title.en)\(view.billnum.map { " · " + HTMLText.escaped($0) } ?? "")</title>
            <link rel="icon" type="image/svg+xml" href="\(HTMLText.escaped(view.linkPrefix))CashierIcon">
            <style>\(CashierStyle.css)</style>
            </head>
            <body data-state="\(view.state.rawValue)">
            <main>
            <div class="code">
            """
        if view.state == .waiting, let autoid = view.autoid {
            let side = view.pictureSide.map { #" width="\#($0)" height="\#($0)""# } ?? ""
            let source = view.linkPrefix + "QR?autoid=" + HexDigit.percentEncoded(autoid)
            html += #"<img id="qr" src="\#(HTMLText.escaped(source))"\#(side) alt="\#(pair(words.pictureAlt))">"#
        }
        html += #"<div class="mark" aria-hidden="true"></div></div>"# + "\n" + #"<div class="bill">"# + "\n"
        if let subject = view.subject {
            html += label(words.subject) + #"<p class="value subject" id="subject">\#(HTMLText.escaped(subject))</p>"# + "\n"
        }
        if let amount = view.amount {
            html += label(words.amount) + #"<p class="value amount" id="amount">¥\#(HTMLText.escaped(amount))</p>"# + "\n"
        }
        if view.state == .waiting {
            html += #"<div class="countdown">"# + label(words.timeLeft)
                + #"<p class="value time" id="time-left">\#(clock(view.expiresInSeconds ?? 0))</p></div>"# + "\n"
        }
        let status = words.status(view.state)
        html += #"<p class="status" id="status" role="status" aria-live="polite"><span id="status-zh">\#(status.zh)</span>"#
            + #"<span class="en" id="status-en" lang="en">\#(status.en)</span></p>"# + "\n"
        html += #"<p class="detail" id="detail">\#(HTMLText.escaped(detail(view)))</p>"# + "\n"
        html += #"<p class="note" id="note" aria-live="polite"></p>"# + "\n"
        if let billnum = view.billnum {
            var reference = "\(words.bill.zh) \(words.bill.en) \(billnum)"
            if let autoid = view.autoid { reference += " · autoid \(autoid)" }
            html += #"<p class="ref" id="ref">\#(HTMLText.escaped(reference))</p>"# + "\n"
        }
        html += "</div>\n</main>\n"
        html += #"<script type="application/json" id="cashier-data">\#(HTMLText.scriptSafeJSON(data(view)))</script>"#
        html += "\n<script>\(CashierScript.javascript)</script>\n</body>\n</html>\n"
        return html
    }

    /// The line under the status: the payment time, or the errcode and errmsg.
    static func detail(_ view: CashierView) -> String {
        switch view.state {
        case .paid:
            guard let paidAt = view.paidAt else { return "" }
            return "\(CashierTexts.paidAt.zh) \(CashierTexts.paidAt.en) \(paidAt)"
        case .error:
            guard let failure = view.failure else { return "" }
            return "errcode \(failure.errcode): \(failure.message)"
        default:
            return ""
        }
    }

    /// What the script reads: the bill's keys, the code it was made for, timing and the words.
    static func data(_ view: CashierView) -> String {
        func text(_ value: String?) -> JSONNode { value.map(JSONNode.string) ?? .null }
        var texts: [(String, JSONNode)] = CashierView.State.allCases.map { state in
            let pair = CashierTexts.status(state)
            return (state.rawValue, .array([.string(pair.zh), .string(pair.en)]))
        }
        texts.append(("paidAt", .array([.string(CashierTexts.paidAt.zh), .string(CashierTexts.paidAt.en)])))
        texts.append(("retrying", .array([.string(CashierTexts.retrying.zh), .string(CashierTexts.retrying.en)])))
        var queryPath: String?
        if let billtype = view.billtype, let billnum = view.billnum {
            // The bill's current record, whichever record the page was opened with: a new amount is a new one.
            queryPath = view.linkPrefix + "Query?billtype=" + HexDigit.percentEncoded(billtype) + "&billnum="
                + HexDigit.percentEncoded(billnum)
        }
        let node = JSONNode.object([
            ("state", .string(view.state.rawValue)),
            ("autoid", text(view.autoid)),
            ("billnum", text(view.billnum)),
            ("billtype", text(view.billtype)),
            ("codeurl", text(view.codeURL)),
            ("expiresIn", .number(String(view.expiresInSeconds ?? 0))),
            ("queryPath", text(queryPath)),
            ("pollMs", .number(String(pollMilliseconds))),
            ("graceMs", .number(String(graceMilliseconds))),
            ("texts", .object(texts)),
        ])
        return JSONWriter.text(node, escapingSlashes: false)
    }

    private static func label(_ words: CashierTexts.Pair) -> String {
        #"<p class="label">\#(pair(words))</p>"#
    }

    private static func pair(_ words: CashierTexts.Pair) -> String {
        "\(words.zh) \(words.en)"
    }

    /// `m:ss`.
    static func clock(_ seconds: Int) -> String {
        let left = max(0, seconds)
        let rest = left % 60
        return "\(left / 60):\(rest < 10 ? "0" : "")\(rest)"
    }
}
