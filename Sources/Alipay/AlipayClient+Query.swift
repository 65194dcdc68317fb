public import PaymentModel

/// `trade_status` of an Alipay trade.
public enum TradeStatus: Sendable, Equatable {
    /// Created (scanned), waiting for payment.
    case waitBuyerPay
    /// Unpaid and closed or timed out, or fully refunded.
    case closed
    /// Paid; still refundable.
    case success
    /// Paid; no longer refundable.
    case finished
    /// A value this version does not know.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "WAIT_BUYER_PAY": self = .waitBuyerPay
        case "TRADE_CLOSED": self = .closed
        case "TRADE_SUCCESS": self = .success
        case "TRADE_FINISHED": self = .finished
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .waitBuyerPay: "WAIT_BUYER_PAY"
        case .closed: "TRADE_CLOSED"
        case .success: "TRADE_SUCCESS"
        case .finished: "TRADE_FINISHED"
        case .other(let value): value
        }
    }

    /// Only SUCCESS and FINISHED mean the buyer paid.
    public var isPaid: Bool {
        self == .success || self == .finished
    }
}

/// The answer to `alipay.trade.query`.
public struct TradeQueryResult: Sendable, Equatable {
    public let tradeNo: String?
    public let outTradeNo: String?
    public let tradeStatus: TradeStatus
    public let totalAmount: Money?
    /// `yyyy-MM-dd HH:mm:ss`, China time, when paid.
    public let sendPayDate: String?
    /// Masked buyer account, e.g. `159****5620`.
    public let buyerLogonID: String?
    /// Buyer's Alipay user id (2088…).
    public let buyerUserID: String?

    public init(tradeNo: String?, outTradeNo: String?, tradeStatus: TradeStatus, totalAmount: Money?, sendPayDate: String?, buyerLogonID: String?, buyerUserID: String?) {
        self.tradeNo = tradeNo
        self.outTradeNo = outTradeNo
        self.tradeStatus = tradeStatus
        self.totalAmount = totalAmount
        self.sendPayDate = sendPayDate
        self.buyerLogonID = buyerLogonID
        self.buyerUserID = buyerUserID
    }
}

extension AlipayClient {
    /// Reads a trade's state. Before the buyer scans, Alipay answers `ACQ.TRADE_NOT_EXIST` (`.business`).
    public func query(_ trade: TradeReference, deadline: Deadline = .distant) throws(AlipayError) -> TradeQueryResult {
        let fields = try call(
            method: AlipayMethod.query, bizContent: [trade.member.0: trade.member.1], deadline: deadline)
        try fields.checkEcho(trade)
        return TradeQueryResult(
            tradeNo: fields["trade_no"],
            outTradeNo: fields["out_trade_no"],
            tradeStatus: TradeStatus(rawValue: try fields.required("trade_status")),
            totalAmount: try fields.money("total_amount"),
            sendPayDate: fields["send_pay_date"],
            buyerLogonID: fields["buyer_logon_id"],
            buyerUserID: fields["buyer_user_id"]
        )
    }
}
