public import Alipay
public import PaymentModel

/// The payment gateway as the flows use it: Alipay's OpenAPI calls, each bounded by the request's deadline.
///
/// `AlipayClient` is the production implementation; the unit tests script the answers. Results and errors are
/// Alipay's own (`AlipayError` tells a verified refusal from an unknown outcome), because the payment rules
/// are stated in Alipay's terms: `ACQ.TRADE_NOT_EXIST`, `action=refund`, `retry_flag`.
public protocol PaymentGateway: AnyObject {
    func precreate(
        outTradeNo: String, totalAmount: Money, subject: String, body: String?, timeoutExpress: String?,
        qrCodeTimeoutExpress: String?, deadline: Deadline
    ) throws(AlipayError) -> PrecreateResult

    func query(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> TradeQueryResult

    func close(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CloseResult

    func cancel(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CancelResult

    func refund(_ trade: TradeReference, refundAmount: Money, outRequestNo: String, refundReason: String?,
                deadline: Deadline) throws(AlipayError) -> RefundResult

    func refundQuery(_ trade: TradeReference, outRequestNo: String, deadline: Deadline) throws(AlipayError)
        -> RefundQueryResult
}

extension AlipayClient: PaymentGateway {}
