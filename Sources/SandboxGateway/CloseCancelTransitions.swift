import Alipay
import Foundation
import JSON

extension TradeTransitions {
    /// Close: only an unpaid, scanned trade closes with 10000. A never-scanned trade answers TRADE_NOT_EXIST and
    /// stays payable — Alipay has no trade to close before the first scan — so only a cancel makes it unpayable.
    public static func close(_ trade: inout SandboxTrade?, _ reference: TradeLookup, now: Date) -> BusinessReply {
        guard var existing = trade else { return .failure(.tradeNotExist, fields: echo(nil, reference)) }
        switch existing.status {
        case .created:
            return .failure(.tradeNotExist, fields: echo(existing, reference))
        case .waitBuyerPay:
            existing.markClosed(.closeCall, at: now)
            trade = existing
            return .success(echo(existing, reference))
        case .success:
            return .failure(.tradeStatusError, detail: "trade is paid", fields: echo(existing, reference))
        case .closed:
            if !existing.isKnownToAlipay { return .failure(.tradeNotExist, fields: echo(existing, reference)) }
            if existing.paidAt != nil {
                return .failure(.tradeStatusError, detail: "trade was paid", fields: echo(existing, reference))
            }
            return .success(echo(existing, reference))
        }
    }

    /// Cancel: closes an unpaid trade (`action=close`), refunds a paid one in full (`action=refund`), and answers
    /// an unknown number with 10000 and no action. `retry_flag` is always N: the sandbox never half-fails.
    public static func cancel(_ trade: inout SandboxTrade?, _ reference: TradeLookup, now: Date) -> BusinessReply {
        let retry: (String, JSONNode) = ("retry_flag", .string("N"))
        guard var existing = trade else { return .success(echo(nil, reference) + [retry]) }
        let action: String
        switch existing.status {
        case .created, .waitBuyerPay:
            existing.markClosed(.cancelCall, at: now)
            action = "close"
        case .success:
            let remaining = existing.totalAmount.fen - existing.refundedAmount.fen
            existing.refunds.append(SandboxRefund(
                outRequestNo: existing.outTradeNo, amount: .init(fen: remaining), reason: "cancel", at: now))
            existing.markClosed(.cancelCall, at: now)
            action = "refund"
        case .closed:
            action = existing.paidAt != nil ? "refund" : "close"
        }
        trade = existing
        return .success(echo(existing, reference) + [retry, ("action", .string(action))])
    }
}

extension SandboxTrade {
    /// Moves the trade to TRADE_CLOSED for `reason`.
    mutating func markClosed(_ reason: SandboxCloseReason, at now: Date) {
        status = .closed
        closeReason = reason
        closedAt = now
    }
}
