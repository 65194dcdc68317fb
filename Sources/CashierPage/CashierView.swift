/// What the cashier page shows for one bill: the state it opens in and the bill's details.
public struct CashierView: Sendable {
    /// Where the bill's QR code stands. `waiting` is the only state with a code on the screen; the page itself
    /// moves from it to `paid`, `closed`, `expired`, `replaced` or `failed`.
    public enum State: String, Sendable, CaseIterable {
        /// A payable code: shown, with the time left, while the page asks Query every 2 s.
        case waiting
        case paid
        /// Voided (Cancel) or closed at Alipay.
        case closed
        /// Its validity ran out.
        case expired
        /// The bill was sent again with another amount: a new trade replaced this code.
        case replaced
        /// Alipay refused the code.
        case failed
        /// No code was issued (the outcome is unknown or the bill was never sent to Alipay).
        case pending
        /// The page cannot show the bill (bad request, unknown bill, database down); `failure` says why.
        case error
    }

    public var state: State
    public var billnum: String?
    public var billtype: String?
    public var autoid: String?
    /// The subject (the bill's `body`).
    public var subject: String?
    /// The amount in yuan with two decimals (`5.00`).
    public var amount: String?
    /// The code the page was opened for; a Query answer with another one means the code was replaced.
    public var codeURL: String?
    /// Seconds until the code expires, counted from when the page was made.
    public var expiresInSeconds: Int?
    /// The picture's side in CSS pixels (its natural size).
    public var pictureSide: Int?
    /// When the bill was paid, China time (`2026-11-27 10:11:12`).
    public var paidAt: String?
    /// errcode and errmsg of the `error` state.
    public var failure: (errcode: Int, message: String)?
    /// How the page's relative links reach its sibling routes: empty, or `../` per trailing slash of the page's
    /// own path.
    public var linkPrefix: String

    public init(state: State, linkPrefix: String = "") {
        self.state = state
        self.linkPrefix = linkPrefix
    }
}
