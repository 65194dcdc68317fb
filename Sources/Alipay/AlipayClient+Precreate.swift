import JSON
public import PaymentModel

/// The answer to `alipay.trade.precreate`: the QR code content to show the buyer.
public struct PrecreateResult: Sendable, Equatable {
    public let outTradeNo: String
    /// A URL such as `https://qr.alipay.com/bax…` (slashes unescaped), valid for at most 2 hours.
    public let qrCode: String

    public init(outTradeNo: String, qrCode: String) {
        self.outTradeNo = outTradeNo
        self.qrCode = qrCode
    }
}

extension AlipayClient {
    /// Creates (or re-creates, with identical data) a QR-code trade.
    ///
    /// - Parameters:
    ///   - outTradeNo: the merchant order number (one amount per number, ever).
    ///   - totalAmount: sent as `Money.description`, e.g. `88.88`; must be positive.
    ///   - subject: the title shown to the buyer.
    ///   - body: optional description.
    ///   - timeoutExpress: optional relative expiry such as `15m`, `2h`, `1d`, `1c`.
    ///   - qrCodeTimeoutExpress: optional QR code expiry, same syntax.
    public func precreate(outTradeNo: String, totalAmount: Money, subject: String, body: String? = nil,
                          timeoutExpress: String? = nil,
                          qrCodeTimeoutExpress: String? = nil,
                          deadline: Deadline = .distant) throws(AlipayError) -> PrecreateResult {
        guard !outTradeNo.isEmpty else { throw .invalidRequest("out_trade_no is empty") }
        guard totalAmount.fen > 0 else { throw .invalidRequest("total_amount must be positive") }
        guard !subject.isEmpty else { throw .invalidRequest("subject is empty") }
        var biz: [String: JSONNode] = [
            "out_trade_no": .string(outTradeNo),
            "total_amount": .string(totalAmount.description),
            "subject": .string(subject),
        ]
        biz.setOptional("body", body)
        biz.setOptional("timeout_express", timeoutExpress)
        biz.setOptional("qr_code_timeout_express", qrCodeTimeoutExpress)
        let fields = try call(method: AlipayMethod.precreate, bizContent: biz, deadline: deadline)
        try fields.checkEcho(.outTradeNo(outTradeNo))
        return PrecreateResult(outTradeNo: outTradeNo, qrCode: try fields.required("qr_code"))
    }
}

extension [String: JSONNode] {
    /// Adds a string member only when it has a non-empty value (Alipay must never get empty fields).
    mutating func setOptional(_ name: String, _ value: String?) {
        if let value, !value.isEmpty { self[name] = .string(value) }
    }
}

extension AlipayReplyFields {
    /// Refuses a reply about a different trade than the one asked for.
    func checkEcho(_ trade: TradeReference) throws(AlipayError) {
        let (name, _) = trade.member
        if let echoed = self[name], echoed != trade.value {
            throw .malformedResponse("\(name) in the reply differs from the request")
        }
    }
}
