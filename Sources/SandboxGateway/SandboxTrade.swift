import Foundation
public import PaymentModel

/// Where a trade stands in the sandbox book.
public enum SandboxTradeStatus: String, Sendable, CaseIterable {
    /// Precreated, QR code not yet scanned: Alipay itself does not know the trade yet.
    case created = "CREATED"
    /// Scanned by a buyer, not paid.
    case waitBuyerPay = "WAIT_BUYER_PAY"
    /// Paid (and still refundable).
    case success = "TRADE_SUCCESS"
    /// Closed unpaid, cancelled, timed out, or fully refunded.
    case closed = "TRADE_CLOSED"
}

/// Why a trade was closed.
public enum SandboxCloseReason: String, Sendable, CaseIterable {
    case closeCall = "close"
    case cancelCall = "cancel"
    case control = "control"
    case timeout = "timeout"
    case fullRefund = "refund"
}

/// One refund accepted on a paid trade; `outRequestNo` is its idempotency key.
public struct SandboxRefund: Sendable, Equatable {
    public var outRequestNo: String
    public var amount: Money
    public var reason: String?
    public var at: Date

    public init(outRequestNo: String, amount: Money, reason: String?, at: Date) {
        self.outRequestNo = outRequestNo
        self.amount = amount
        self.reason = reason
        self.at = at
    }
}

/// The sandbox's record of one `out_trade_no`.
public struct SandboxTrade: Sendable, Equatable {
    public var outTradeNo: String
    public var totalAmount: Money
    public var subject: String
    public var body: String?
    public var storeID: String?
    public var terminalID: String?
    public var qrCode: String
    public var status: SandboxTradeStatus
    /// `notify_url` of the latest accepted precreate.
    public var notifyURL: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var scannedAt: Date?
    public var paidAt: Date?
    public var closedAt: Date?
    public var closeReason: SandboxCloseReason?
    /// Alipay's trade number, assigned when the buyer scans.
    public var tradeNo: String?
    public var buyerID: String?
    public var buyerLogonID: String?
    public var precreateCount: Int
    public var refunds: [SandboxRefund]

    /// Sum of all accepted refunds.
    public var refundedAmount: Money {
        Money(fen: refunds.reduce(0) { $0 + $1.amount.fen })
    }

    /// True when Alipay would know this trade: the buyer scanned it.
    public var isKnownToAlipay: Bool { scannedAt != nil }
}
