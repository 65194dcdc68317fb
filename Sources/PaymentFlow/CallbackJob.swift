public import Foundation
public import PaymentModel

/// One claimed callback: the outbox row and the payment fields the business system's callback carries.
public struct CallbackJob: Sendable, Equatable {
    /// The outbox row id; report the outcome with it.
    public let id: Int64
    /// Attempts finished before this claim (0 on the first delivery).
    public let attempts: Int
    public let autoid: Int64
    public let billtype: String
    public let billnum: String
    public let outTradeNo: String
    /// Alipay's trade number.
    public let tradeNo: String
    /// The amount paid.
    public let amount: Money
    /// UTC payment time.
    public let paidAt: Date?
    /// The stored-value card credited (billtype 7).
    public let cardno: String?
    public let paytype: String
    /// The refund this callback reports; nil for the payment's own callback.
    public let refund: RefundEvent?

    public init(
        id: Int64, attempts: Int, autoid: Int64, billtype: String, billnum: String, outTradeNo: String,
        tradeNo: String, amount: Money, paidAt: Date?, cardno: String?, paytype: String, refund: RefundEvent? = nil
    ) {
        self.id = id
        self.attempts = attempts
        self.autoid = autoid
        self.billtype = billtype
        self.billnum = billnum
        self.outTradeNo = outTradeNo
        self.tradeNo = tradeNo
        self.amount = amount
        self.paidAt = paidAt
        self.cardno = cardno
        self.paytype = paytype
        self.refund = refund
    }
}

/// A recorded refund, as its callback reports it.
public struct RefundEvent: Sendable, Equatable {
    public let refundID: Int64
    public let refundno: String
    public let amount: Money
    /// UTC refund time.
    public let refundedAt: Date?
    /// The payment's refunded total once this refund was recorded.
    public let refundedTotal: Money

    public init(refundID: Int64, refundno: String, amount: Money, refundedAt: Date?, refundedTotal: Money) {
        self.refundID = refundID
        self.refundno = refundno
        self.amount = amount
        self.refundedAt = refundedAt
        self.refundedTotal = refundedTotal
    }
}
