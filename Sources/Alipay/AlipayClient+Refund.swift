import JSON
public import PaymentModel

/// The answer to `alipay.trade.refund`.
public struct RefundResult: Sendable, Equatable {
    public let tradeNo: String?
    public let outTradeNo: String?
    /// `fund_change = Y`: this call moved money (a repeated request answers N).
    public let fundChange: Bool
    /// Total refunded on the trade so far.
    public let refundFee: Money?

    public init(tradeNo: String?, outTradeNo: String?, fundChange: Bool, refundFee: Money?) {
        self.tradeNo = tradeNo
        self.outTradeNo = outTradeNo
        self.fundChange = fundChange
        self.refundFee = refundFee
    }
}

/// The answer to `alipay.trade.fastpay.refund.query`.
public struct RefundQueryResult: Sendable, Equatable {
    public let outRequestNo: String?
    /// `REFUND_SUCCESS`, or nil when the refund is unknown or not (yet) done.
    public let refundStatus: String?
    public let refundAmount: Money?
    public let totalAmount: Money?

    /// True only for `REFUND_SUCCESS` (Alipay answers `10000` even for unknown refund numbers).
    public var isRefunded: Bool {
        refundStatus == "REFUND_SUCCESS"
    }

    public init(outRequestNo: String?, refundStatus: String?, refundAmount: Money?, totalAmount: Money?) {
        self.outRequestNo = outRequestNo
        self.refundStatus = refundStatus
        self.refundAmount = refundAmount
        self.totalAmount = totalAmount
    }
}

extension AlipayClient {
    /// Refunds part or all of a paid trade. `outRequestNo` is the idempotency key: reuse it on retries.
    public func refund(_ trade: TradeReference, refundAmount: Money, outRequestNo: String,
                       refundReason: String? = nil,
                       deadline: Deadline = .distant) throws(AlipayError) -> RefundResult {
        guard refundAmount.fen > 0 else { throw .invalidRequest("refund_amount must be positive") }
        guard !outRequestNo.isEmpty else { throw .invalidRequest("out_request_no is empty") }
        var biz: [String: JSONNode] = [
            trade.member.0: trade.member.1,
            "refund_amount": .string(refundAmount.description),
            "out_request_no": .string(outRequestNo),
        ]
        biz.setOptional("refund_reason", refundReason)
        let fields = try call(method: AlipayMethod.refund, bizContent: biz, deadline: deadline)
        try fields.checkEcho(trade)
        return RefundResult(tradeNo: fields["trade_no"], outTradeNo: fields["out_trade_no"],
                            fundChange: fields.flag("fund_change"), refundFee: try fields.money("refund_fee"))
    }

    /// Reads the state of one refund request (wait a few seconds after `refund`).
    public func refundQuery(_ trade: TradeReference, outRequestNo: String,
                            deadline: Deadline = .distant) throws(AlipayError) -> RefundQueryResult {
        guard !outRequestNo.isEmpty else { throw .invalidRequest("out_request_no is empty") }
        let biz: [String: JSONNode] = [trade.member.0: trade.member.1, "out_request_no": .string(outRequestNo)]
        let fields = try call(method: AlipayMethod.refundQuery, bizContent: biz, deadline: deadline)
        try fields.checkEcho(trade)
        if let echoed = fields["out_request_no"], echoed != outRequestNo {
            throw .malformedResponse("out_request_no in the reply differs from the request")
        }
        return RefundQueryResult(outRequestNo: fields["out_request_no"], refundStatus: fields["refund_status"],
                                 refundAmount: try fields.money("refund_amount"),
                                 totalAmount: try fields.money("total_amount"))
    }
}
