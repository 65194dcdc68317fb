import Alipay
import PaymentFlow
import PaymentModel
import Synchronization

/// How many Alipay calls are under way in the whole responder, and how many may be.
final class GatewaySeats: Sendable {
    let limit: Int
    private let taken = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a seat if one is free.
    func take() -> Bool {
        while true {
            let current = taken.load(ordering: .relaxed)
            guard current < limit else { return false }
            if taken.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged {
                return true
            }
        }
    }

    func give() {
        taken.subtract(1, ordering: .releasing)
    }
}

/// The gateway as the flows see it in the responder: Alipay's client behind a limit on calls under way at once.
///
/// A gateway that hangs must not take every worker: once `seats.limit` calls are waiting on it, further calls are
/// not sent (`AlipayError.congested`, answered 4002 at once), so the remaining workers keep serving Query by autoid,
/// health and Notify.
final class GatewayBulkhead: PaymentGateway {
    let client: AlipayClient
    let seats: GatewaySeats

    init(client: AlipayClient, seats: GatewaySeats) {
        self.client = client
        self.seats = seats
    }

    private func seated<Result>(_ call: () throws(AlipayError) -> Result) throws(AlipayError) -> Result {
        guard seats.take() else { throw .congested }
        defer { seats.give() }
        return try call()
    }

    func precreate(
        outTradeNo: String, totalAmount: Money, subject: String, body: String?, timeoutExpress: String?,
        qrCodeTimeoutExpress: String?, deadline: Deadline
    ) throws(AlipayError) -> PrecreateResult {
        try seated { () throws(AlipayError) in
            try client.precreate(
                outTradeNo: outTradeNo, totalAmount: totalAmount, subject: subject, body: body,
                timeoutExpress: timeoutExpress, qrCodeTimeoutExpress: qrCodeTimeoutExpress, deadline: deadline)
        }
    }

    func query(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> TradeQueryResult {
        try seated { () throws(AlipayError) in try client.query(trade, deadline: deadline) }
    }

    func close(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CloseResult {
        try seated { () throws(AlipayError) in try client.close(trade, deadline: deadline) }
    }

    func cancel(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CancelResult {
        try seated { () throws(AlipayError) in try client.cancel(trade, deadline: deadline) }
    }

    func refund(_ trade: TradeReference, refundAmount: Money, outRequestNo: String, refundReason: String?,
                deadline: Deadline) throws(AlipayError) -> RefundResult {
        try seated { () throws(AlipayError) in
            try client.refund(trade, refundAmount: refundAmount, outRequestNo: outRequestNo,
                              refundReason: refundReason, deadline: deadline)
        }
    }

    func refundQuery(_ trade: TradeReference, outRequestNo: String, deadline: Deadline) throws(AlipayError)
        -> RefundQueryResult
    {
        try seated { () throws(AlipayError) in try client.refundQuery(trade, outRequestNo: outRequestNo, deadline: deadline) }
    }
}
