import CivilTime
import Foundation
public import PaymentModel

/// The validated business fields of an `alipay.trade.refund` call.
public struct RefundRequest: Sendable, Equatable {
    public var reference: TradeLookup
    public var refundAmount: Money
    /// The idempotency key; Alipay uses the `out_trade_no` when it is absent.
    public var outRequestNo: String?
    public var reason: String?

    public init(biz: BizContent) throws(BizContentError) {
        reference = try biz.tradeReference()
        refundAmount = try biz.amount("refund_amount")!
        outRequestNo = try biz.optionalString("out_request_no", maxLength: 64)
        reason = try biz.optionalString("refund_reason", maxLength: 256)
    }

    public init(reference: TradeLookup, refundAmount: Money, outRequestNo: String?, reason: String?) {
        self.reference = reference
        self.refundAmount = refundAmount
        self.outRequestNo = outRequestNo
        self.reason = reason
    }
}

extension TradeTransitions {
    /// Refund: at most the paid amount minus earlier refunds; the same `out_request_no` with the same amount is
    /// answered again without moving money, with another amount it is refused; a full refund closes the trade.
    public static func refund(_ trade: inout SandboxTrade?, _ request: RefundRequest, now: Date) -> BusinessReply {
        refundMovingMoney(&trade, request, now: now).reply
    }

    /// Refund, also telling which refund moved money in this call (nil when none did).
    public static func refundMovingMoney(_ trade: inout SandboxTrade?, _ request: RefundRequest, now: Date)
        -> (reply: BusinessReply, moved: SandboxRefund?)
    {
        let reply = applyRefund(&trade, request, now: now)
        let moved = reply.code == "10000" && reply.fields.contains { $0.0 == "fund_change" && $0.1 == .string("Y") }
        return (reply, moved ? trade?.refunds.last : nil)
    }

    private static func applyRefund(_ trade: inout SandboxTrade?, _ request: RefundRequest, now: Date)
        -> BusinessReply
    {
        guard var existing = trade, existing.isKnownToAlipay else {
            return .failure(.tradeNotExist, fields: echo(trade, request.reference))
        }
        let requestNo = request.outRequestNo ?? existing.outTradeNo
        if let earlier = existing.refunds.first(where: { $0.outRequestNo == requestNo }) {
            guard earlier.amount == request.refundAmount else {
                return .failure(.discordantRepeatRequest, detail: "refund_amount differs for this out_request_no",
                                fields: echo(existing, request.reference))
            }
            return refundAnswer(existing, request.reference, this: earlier, moved: false)
        }
        switch existing.status {
        case .created, .waitBuyerPay:
            return .failure(.tradeStatusError, detail: "trade is not paid", fields: echo(existing, request.reference))
        case .closed:
            return .failure(.tradeHasClose, fields: echo(existing, request.reference))
        case .success:
            break
        }
        let remaining = existing.totalAmount.fen - existing.refundedAmount.fen
        guard request.refundAmount.fen <= remaining else {
            return .failure(.refundAmountExceeded, fields: echo(existing, request.reference))
        }
        let refund = SandboxRefund(outRequestNo: requestNo, amount: request.refundAmount, reason: request.reason,
                                   at: now)
        existing.refunds.append(refund)
        if request.refundAmount.fen == remaining { existing.markClosed(.fullRefund, at: now) }
        trade = existing
        return refundAnswer(existing, request.reference, this: refund, moved: true)
    }

    /// Refund query: the refund recorded under `outRequestNo`; an unknown request number still answers 10000,
    /// only without `refund_status`.
    public static func refundQuery(
        _ trade: SandboxTrade?, _ reference: TradeLookup, outRequestNo: String
    ) -> BusinessReply {
        guard let trade, trade.isKnownToAlipay else { return .failure(.tradeNotExist, fields: echo(trade, reference)) }
        var fields = echo(trade, reference) + [("out_request_no", .string(outRequestNo))]
        if let refund = trade.refunds.first(where: { $0.outRequestNo == outRequestNo }) {
            fields += [
                ("refund_status", .string("REFUND_SUCCESS")),
                amount("refund_amount", refund.amount),
                amount("total_amount", trade.totalAmount),
                ("gmt_refund_pay", .string(CivilTimeText.china.format(refund.at))),
            ]
            if let reason = refund.reason { fields.append(("refund_reason", .string(reason))) }
        }
        return .success(fields)
    }

    private static func refundAnswer(
        _ trade: SandboxTrade, _ reference: TradeLookup, this refund: SandboxRefund, moved: Bool
    ) -> BusinessReply {
        var fields = echo(trade, reference) + [
            ("fund_change", .string(moved ? "Y" : "N")),
            amount("refund_fee", trade.refundedAmount),
            amount("send_back_fee", refund.amount),
            ("gmt_refund_pay", .string(CivilTimeText.china.format(refund.at))),
        ]
        if let buyerLogonID = trade.buyerLogonID { fields.append(("buyer_logon_id", .string(buyerLogonID))) }
        if let buyerID = trade.buyerID { fields.append(("buyer_user_id", .string(buyerID))) }
        return .success(fields)
    }
}
