/// A validated request to start an Alipay offline scan-code payment.
public struct ScanCodeRequest: Sendable, Hashable {
    /// The bill number (1…20 UTF-16 units, not blank).
    public let billnum: String
    public let billtype: BillType
    /// The product description (not blank).
    public let body: String
    /// The payment method code (1…2 UTF-16 units, not blank).
    public let paytype: String
    /// The amount: positive, whole fen, at most `Money.alipayMaximum`.
    public let paymentvalue: Money
    /// Goods detail; nil when absent or empty.
    public let detail: String?
    /// The client's IPv4 or IPv6 address; nil when absent or empty (the service then uses its default).
    public let clientip: String?
    /// The stored-value card number; present for billtype 7, otherwise optional; nil when absent or empty.
    public let cardno: String?

    public init(
        billnum: String, billtype: BillType, body: String, paytype: String, paymentvalue: Money,
        detail: String? = nil, clientip: String? = nil, cardno: String? = nil
    ) {
        self.billnum = billnum
        self.billtype = billtype
        self.body = body
        self.paytype = paytype
        self.paymentvalue = paymentvalue
        self.detail = detail
        self.clientip = clientip
        self.cardno = cardno
    }
}
