import Foundation
public import PaymentModel

/// One payment attempt (one Alipay out_trade_no), as stored in `T_3Pay_Offline_ReceiveMoney`.
public struct PaymentRecord: Sendable, Equatable {
    public let autoid: Int64
    public let billnum: String
    public let billtype: String
    public let body: String
    public let paytype: String
    public let paymentvalue: Money
    public let detail: String?
    public let clientip: String
    public let cardno: String?
    public let outTradeNo: String
    public let codeurl: String?
    public let status: PaymentStatus
    /// When the issued QR code stops being handed out (UTC instant).
    public let qrExpiresAt: Date?
    public let gatewayCode: String?
    public let gatewaySubCode: String?
    public let gatewayMessage: String?
    /// Alipay's trade number, once paid.
    public let tradeNo: String?
    public let paidAmount: Money?
    public let paidAt: Date?
    public let buyerID: String?
    public let paidSource: PaymentSource?
    public let createdAt: Date
    public let updatedAt: Date
    /// What has been refunded of the payment so far (0 until a refund is recorded).
    public let refundedAmount: Money

    public init(
        autoid: Int64, billnum: String, billtype: String, body: String, paytype: String, paymentvalue: Money,
        detail: String?, clientip: String, cardno: String?, outTradeNo: String, codeurl: String?,
        status: PaymentStatus, qrExpiresAt: Date?, gatewayCode: String?, gatewaySubCode: String?,
        gatewayMessage: String?, tradeNo: String?, paidAmount: Money?, paidAt: Date?, buyerID: String?,
        paidSource: PaymentSource?, createdAt: Date, updatedAt: Date, refundedAmount: Money = Money(fen: 0)
    ) {
        self.autoid = autoid
        self.billnum = billnum
        self.billtype = billtype
        self.body = body
        self.paytype = paytype
        self.paymentvalue = paymentvalue
        self.detail = detail
        self.clientip = clientip
        self.cardno = cardno
        self.outTradeNo = outTradeNo
        self.codeurl = codeurl
        self.status = status
        self.qrExpiresAt = qrExpiresAt
        self.gatewayCode = gatewayCode
        self.gatewaySubCode = gatewaySubCode
        self.gatewayMessage = gatewayMessage
        self.tradeNo = tradeNo
        self.paidAmount = paidAmount
        self.paidAt = paidAt
        self.buyerID = buyerID
        self.paidSource = paidSource
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.refundedAmount = refundedAmount
    }

    /// Paid, and all of it refunded.
    public var isFullyRefunded: Bool {
        status == .paid && refundedAmount.fen > 0 && refundedAmount == (paidAmount ?? paymentvalue)
    }
}
