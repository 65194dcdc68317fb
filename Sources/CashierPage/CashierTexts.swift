/// The page's words, Chinese first with English beside them. The script receives the same table, so what
/// the page says after a change is what it would say when opened in that state.
enum CashierTexts {
    typealias Pair = (zh: String, en: String)

    static func status(_ state: CashierView.State) -> Pair {
        switch state {
        case .waiting: ("请使用支付宝扫码付款", "Scan with Alipay to pay")
        case .paid: ("已支付", "Paid")
        case .closed: ("二维码已关闭", "This QR code was closed")
        case .expired: ("二维码已过期", "This QR code has expired")
        case .replaced: ("账单已变更，此二维码已作废", "The bill was changed; this QR code is void")
        case .failed: ("支付宝拒绝了此二维码", "Alipay refused this QR code")
        case .pending: ("尚无可付款的二维码，请重新发起收款", "No payable QR code; send the bill again")
        case .error: ("无法显示此账单", "This bill cannot be shown")
        }
    }

    static let title: Pair = ("收款", "Payment")
    static let subject: Pair = ("商品", "Subject")
    static let amount: Pair = ("金额", "Amount")
    static let timeLeft: Pair = ("剩余时间", "Time left")
    static let bill: Pair = ("单号", "Bill")
    static let paidAt: Pair = ("支付时间", "Paid at")
    static let retrying: Pair = ("正在重新查询…", "Checking again…")
    static let pictureAlt: Pair = ("支付宝付款二维码", "Alipay QR code")
}
