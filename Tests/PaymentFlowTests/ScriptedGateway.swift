import Alipay
import Foundation
import PaymentFlow
import PaymentModel

/// A small Alipay in memory: trades appear when the buyer scans, can be paid or closed, and answer precreate,
/// query, close and cancel the way the gateway does (alipay-protocol §4–5). Faults are scripted per method.
final class ScriptedGateway: PaymentGateway {
    enum TradeState: Equatable { case issued, scanned, paid, closed }

    struct Trade {
        var amount: Money
        var state: TradeState
        var tradeNo: String
        /// Refunds by out_request_no.
        var refunds: [String: Money] = [:]
        var refunded: Money { Money(fen: refunds.values.reduce(0) { $0 + $1.fen }) }
    }

    /// When set, the next refund call takes effect and then its answer is lost with this error.
    var loseNextRefundAnswer: AlipayError?
    /// Runs while that answer is being lost (given the refund's out_request_no): what happens meanwhile.
    var whileLosingRefundAnswer: ((String) -> Void)?

    private(set) var trades: [String: Trade] = [:]
    /// Calls in order: `precreate TP1`, `close TP1` …
    private(set) var calls: [String] = []
    /// The next call of a method (`precreate`, `query`, `close`, `cancel`) fails with this error (one each).
    var faults: [String: [AlipayError]] = [:]

    private func enter(_ method: String, _ outTradeNo: String, _ deadline: Deadline) throws(AlipayError) {
        calls.append("\(method) \(outTradeNo)")
        guard !deadline.hasPassed else { throw .notSent("deadline passed") }
        if var queue = faults[method], !queue.isEmpty {
            let error = queue.removeFirst()
            faults[method] = queue
            throw error
        }
    }

    static func refusal(_ subCode: String) -> AlipayError {
        .business(code: "40004", msg: "Business Failed", subCode: subCode, subMsg: subCode)
    }

    // MARK: What the buyer does

    func scan(_ outTradeNo: String) { trades[outTradeNo]?.state = .scanned }

    func pay(_ outTradeNo: String) { trades[outTradeNo]?.state = .paid }

    /// A refund made outside the API (the merchant's portal): the money moves, and the refund query knows it.
    func portalRefund(_ outTradeNo: String, _ outRequestNo: String, _ amount: String) {
        guard var found = trades[outTradeNo] else { return }
        found.refunds[outRequestNo] = Money(exactly: amount)!
        if found.refunded == found.amount { found.state = .closed }
        trades[outTradeNo] = found
    }

    // MARK: PaymentGateway

    func precreate(outTradeNo: String, totalAmount: Money, subject: String, body: String?, timeoutExpress: String?,
                   qrCodeTimeoutExpress: String?, deadline: Deadline) throws(AlipayError) -> PrecreateResult {
        try enter("precreate", outTradeNo, deadline)
        if let trade = trades[outTradeNo] {
            switch trade.state {
            case .paid: throw Self.refusal("ACQ.TRADE_HAS_SUCCESS")
            case .closed: throw Self.refusal("ACQ.TRADE_HAS_CLOSE")
            case .issued, .scanned:
                guard trade.amount == totalAmount else { throw Self.refusal("ACQ.CONTEXT_INCONSISTENT") }
            }
        } else {
            trades[outTradeNo] = Trade(amount: totalAmount, state: .issued, tradeNo: "2026" + outTradeNo)
        }
        return PrecreateResult(outTradeNo: outTradeNo, qrCode: "https://qr.alipay.com/bax" + outTradeNo)
    }

    func query(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> TradeQueryResult {
        let number = Self.number(trade)
        try enter("query", number, deadline)
        guard let found = trades[number], found.state != .issued else { throw Self.refusal("ACQ.TRADE_NOT_EXIST") }
        let status: TradeStatus = switch found.state {
        case .paid: .success
        case .closed: .closed
        case .issued, .scanned: .waitBuyerPay
        }
        return TradeQueryResult(
            tradeNo: found.tradeNo, outTradeNo: number, tradeStatus: status, totalAmount: found.amount,
            sendPayDate: found.state == .paid ? "2026-06-01 12:00:00" : nil, buyerLogonID: nil,
            buyerUserID: "2088000000000001")
    }

    func close(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CloseResult {
        let number = Self.number(trade)
        try enter("close", number, deadline)
        guard let found = trades[number], found.state != .issued else { throw Self.refusal("ACQ.TRADE_NOT_EXIST") }
        switch found.state {
        case .paid: throw Self.refusal("ACQ.TRADE_STATUS_ERROR")
        case .closed: throw Self.refusal("ACQ.TRADE_HAS_CLOSE")
        case .issued, .scanned:
            trades[number]?.state = .closed
            return CloseResult(tradeNo: found.tradeNo, outTradeNo: number)
        }
    }

    /// Cancel answers `retry_flag=Y` (doing nothing) this many times first.
    var cancelRetries = 0

    func cancel(_ trade: TradeReference, deadline: Deadline) throws(AlipayError) -> CancelResult {
        let number = Self.number(trade)
        try enter("cancel", number, deadline)
        if cancelRetries > 0 {
            cancelRetries -= 1
            return CancelResult(tradeNo: nil, outTradeNo: number, shouldRetry: true, action: nil)
        }
        guard let found = trades[number] else {
            return CancelResult(tradeNo: nil, outTradeNo: number, shouldRetry: false, action: nil)
        }
        let action = found.state == .paid ? "refund" : "close"
        trades[number]?.state = .closed
        return CancelResult(tradeNo: found.tradeNo, outTradeNo: number, shouldRetry: false, action: action)
    }

    func refund(_ trade: TradeReference, refundAmount: Money, outRequestNo: String, refundReason: String?,
                deadline: Deadline) throws(AlipayError) -> RefundResult {
        let number = Self.number(trade)
        try enter("refund", number, deadline)
        guard var found = trades[number], found.state == .paid || !found.refunds.isEmpty else {
            throw Self.refusal("ACQ.TRADE_STATUS_ERROR")
        }
        var moved = false
        if let earlier = found.refunds[outRequestNo] {
            guard earlier == refundAmount else { throw Self.refusal("ACQ.DISCORDANT_REPEAT_REQUEST") }
        } else {
            guard refundAmount.fen <= found.amount.fen - found.refunded.fen else {
                throw Self.refusal("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
            }
            found.refunds[outRequestNo] = refundAmount
            if found.refunded == found.amount { found.state = .closed }
            moved = true
        }
        trades[number] = found
        if let lost = loseNextRefundAnswer {
            loseNextRefundAnswer = nil
            whileLosingRefundAnswer?(outRequestNo)
            throw lost
        }
        return RefundResult(tradeNo: found.tradeNo, outTradeNo: number, fundChange: moved, refundFee: found.refunded)
    }

    func refundQuery(_ trade: TradeReference, outRequestNo: String, deadline: Deadline) throws(AlipayError)
        -> RefundQueryResult
    {
        let number = Self.number(trade)
        try enter("refundQuery", number, deadline)
        guard let found = trades[number] else { throw Self.refusal("ACQ.TRADE_NOT_EXIST") }
        guard let amount = found.refunds[outRequestNo] else {
            return RefundQueryResult(outRequestNo: outRequestNo, refundStatus: nil, refundAmount: nil, totalAmount: nil)
        }
        return RefundQueryResult(outRequestNo: outRequestNo, refundStatus: "REFUND_SUCCESS", refundAmount: amount,
                                 totalAmount: found.amount)
    }

    private static func number(_ trade: TradeReference) -> String {
        switch trade {
        case .outTradeNo(let value), .tradeNo(let value): value
        }
    }
}
