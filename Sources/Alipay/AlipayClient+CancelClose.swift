public import PaymentModel

/// The answer to `alipay.trade.cancel`.
public struct CancelResult: Sendable, Equatable {
    public let tradeNo: String?
    public let outTradeNo: String?
    /// `retry_flag = Y`: call cancel again.
    public let shouldRetry: Bool
    /// `close` (was unpaid, now closed), `refund` (was paid, refunded), or nil (no trade / nothing done).
    public let action: String?

    public init(tradeNo: String?, outTradeNo: String?, shouldRetry: Bool, action: String?) {
        self.tradeNo = tradeNo
        self.outTradeNo = outTradeNo
        self.shouldRetry = shouldRetry
        self.action = action
    }
}

/// The answer to `alipay.trade.close`.
public struct CloseResult: Sendable, Equatable {
    public let tradeNo: String?
    public let outTradeNo: String?

    public init(tradeNo: String?, outTradeNo: String?) {
        self.tradeNo = tradeNo
        self.outTradeNo = outTradeNo
    }
}

extension AlipayClient {
    /// Reverses a trade whose outcome is unknown: closes it if unpaid, refunds it if paid.
    public func cancel(_ trade: TradeReference, deadline: Deadline = .distant) throws(AlipayError) -> CancelResult {
        let fields = try call(
            method: AlipayMethod.cancel, bizContent: [trade.member.0: trade.member.1], deadline: deadline)
        try fields.checkEcho(trade)
        return CancelResult(tradeNo: fields["trade_no"], outTradeNo: fields["out_trade_no"],
                            shouldRetry: fields.flag("retry_flag"), action: fields["action"])
    }

    /// Closes an unpaid (`WAIT_BUYER_PAY`) trade.
    public func close(_ trade: TradeReference, deadline: Deadline = .distant) throws(AlipayError) -> CloseResult {
        let fields = try call(
            method: AlipayMethod.close, bizContent: [trade.member.0: trade.member.1], deadline: deadline)
        try fields.checkEcho(trade)
        return CloseResult(tradeNo: fields["trade_no"], outTradeNo: fields["out_trade_no"])
    }
}
