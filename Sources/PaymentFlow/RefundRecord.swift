public import Foundation
public import PaymentModel

/// Where a refund stands; stored as text in `T_3Pay_Offline_Refund.status`.
public enum RefundStatus: String, Sendable, CaseIterable {
    /// A request is calling Alipay for it now.
    case requested = "REQUESTED"
    case refunded = "REFUNDED"
    /// Alipay refused it (a signed answer): final for its refundno.
    case failed = "FAILED"
    /// The outcome of the call is unknown: a refund query settles it.
    case pending = "PENDING"
}

/// One refund of a paid record, as `V_3Pay_Offline_Refund` returns it.
public struct RefundRecord: Sendable, Equatable {
    public var refundID: Int64
    public var autoid: Int64
    public var billtype: String
    public var billnum: String
    /// The merchant's number for the refund: one amount for ever.
    public var refundno: String
    /// Alipay's `out_request_no` for it.
    public var outRequestNo: String
    public var amount: Money
    public var reason: String?
    public var status: RefundStatus
    public var gatewayCode: String?
    public var gatewaySubCode: String?
    public var gatewayMessage: String?
    public var refundedAt: Date?
    /// The payment's refunded total once this refund was recorded.
    public var refundedTotalAfter: Money?
    /// The payment it belongs to.
    public var outTradeNo: String
    public var tradeNo: String?
    public var paidAmount: Money?
    /// The payment's refunded total now.
    public var refundedTotal: Money

    public init(
        refundID: Int64, autoid: Int64, billtype: String, billnum: String, refundno: String, outRequestNo: String,
        amount: Money, reason: String?, status: RefundStatus, gatewayCode: String?, gatewaySubCode: String?,
        gatewayMessage: String?, refundedAt: Date?, refundedTotalAfter: Money?, outTradeNo: String, tradeNo: String?,
        paidAmount: Money?, refundedTotal: Money
    ) {
        self.refundID = refundID
        self.autoid = autoid
        self.billtype = billtype
        self.billnum = billnum
        self.refundno = refundno
        self.outRequestNo = outRequestNo
        self.amount = amount
        self.reason = reason
        self.status = status
        self.gatewayCode = gatewayCode
        self.gatewaySubCode = gatewaySubCode
        self.gatewayMessage = gatewayMessage
        self.refundedAt = refundedAt
        self.refundedTotalAfter = refundedTotalAfter
        self.outTradeNo = outTradeNo
        self.tradeNo = tradeNo
        self.paidAmount = paidAmount
        self.refundedTotal = refundedTotal
    }
}

/// A validated refund request.
public struct RefundRequest: Sendable, Equatable {
    /// Which payment: its autoid, or its bill.
    public var lookup: BillLookup
    public var refundno: String
    public var amount: Money
    public var reason: String?
    /// Names the request's lease on the refund (nil: a lease no request names). Begin called again under the same
    /// token — the same request after the database's answer was lost, or passed on by nginx to another responder —
    /// is the lease's holder, not another request to wait for.
    public var leaseToken: String?

    public init(lookup: BillLookup, refundno: String, amount: Money, reason: String? = nil, leaseToken: String? = nil) {
        self.lookup = lookup
        self.refundno = refundno
        self.amount = amount
        self.reason = reason
        self.leaseToken = leaseToken
    }
}

/// What `Sp_3Pay_Offline_Refund_Begin` decided.
public enum RefundBeginOutcome: Sendable, Equatable {
    /// Call `alipay.trade.refund` (the caller holds the refund's lease).
    case callAlipay(RefundRecord)
    /// An earlier call's outcome is unknown: ask `alipay.trade.fastpay.refund.query` first (lease held).
    case query(RefundRecord)
    /// Refunded or failed: the answer is the record.
    case done(RefundRecord)
    /// Another request is working on this refund right now.
    case busy(RefundRecord)
}

/// Where a refund that ThreePay did not ask for was reported.
public enum ExternalRefundSource: String, Sendable {
    /// An asynchronous notification carrying `out_biz_no` and `refund_fee`.
    case notify
    /// `alipay.trade.cancel` answered `action=refund`.
    case cancel
}
