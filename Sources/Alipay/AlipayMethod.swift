import JSON

/// OpenAPI method names (the `method` parameter) used by ThreePay.
public enum AlipayMethod {
    public static let precreate = "alipay.trade.precreate"
    public static let query = "alipay.trade.query"
    public static let cancel = "alipay.trade.cancel"
    public static let close = "alipay.trade.close"
    public static let refund = "alipay.trade.refund"
    public static let refundQuery = "alipay.trade.fastpay.refund.query"
}

/// Which trade a call is about: the merchant's order number or Alipay's trade number.
public enum TradeReference: Sendable, Equatable {
    /// `out_trade_no`, the merchant's order number.
    case outTradeNo(String)
    /// `trade_no`, Alipay's number for the trade.
    case tradeNo(String)

    /// The biz_content member naming the trade.
    var member: (String, JSONNode) {
        switch self {
        case .outTradeNo(let value): ("out_trade_no", .string(value))
        case .tradeNo(let value): ("trade_no", .string(value))
        }
    }

    var value: String {
        switch self {
        case .outTradeNo(let value), .tradeNo(let value): value
        }
    }
}
