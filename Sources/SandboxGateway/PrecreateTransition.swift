import Alipay
import Foundation
import JSON
public import PaymentModel

/// The validated business fields of an `alipay.trade.precreate` call.
public struct PrecreateRequest: Sendable, Equatable {
    public var outTradeNo: String
    public var totalAmount: Money
    public var subject: String
    public var body: String?
    public var storeID: String?
    public var terminalID: String?
    public var timeoutExpress: String?
    public var notifyURL: String?

    /// Reads and checks the fields of `biz_content`; `notifyURL` comes from the common parameters.
    public init(biz: BizContent, notifyURL: String?) throws(BizContentError) {
        outTradeNo = try biz.outTradeNo(required: true)!
        totalAmount = try biz.amount("total_amount")!
        subject = try biz.requiredString("subject", maxLength: 256)
        body = try biz.optionalString("body", maxLength: 128)
        storeID = try biz.optionalString("store_id", maxLength: 32)
        terminalID = try biz.optionalString("terminal_id", maxLength: 32)
        timeoutExpress = try biz.optionalString("timeout_express", maxLength: 8)
        _ = try TimeoutExpress.expiry(timeoutExpress, from: Date(timeIntervalSince1970: 0))
        self.notifyURL = notifyURL
    }
}

extension TradeTransitions {
    /// Precreate: a new number gets a trade and a QR code; repeating it with the same amount returns the same
    /// QR code while the trade is open; a changed amount, a paid or a closed trade are refused.
    public static func precreate(
        _ trade: inout SandboxTrade?, _ request: PrecreateRequest, now: Date, fresh: FreshIdentifiers
    ) -> BusinessReply {
        let echo: [(String, JSONNode)] = [("out_trade_no", .string(request.outTradeNo))]
        guard var existing = trade else {
            // The request's timeout_express was validated when it was parsed.
            let expiresAt = (try? TimeoutExpress.expiry(request.timeoutExpress, from: now)) ?? now
            trade = SandboxTrade(
                outTradeNo: request.outTradeNo, totalAmount: request.totalAmount, subject: request.subject,
                body: request.body, storeID: request.storeID, terminalID: request.terminalID,
                qrCode: fresh.qrCode, status: .created, notifyURL: request.notifyURL, createdAt: now,
                expiresAt: expiresAt, precreateCount: 1, refunds: [])
            return .success(echo + [("qr_code", .string(fresh.qrCode))])
        }
        switch existing.status {
        case .success: return .failure(.tradeHasSuccess, fields: echo)
        case .closed: return .failure(.tradeHasClose, fields: echo)
        case .created, .waitBuyerPay: break
        }
        guard existing.totalAmount == request.totalAmount else {
            return .failure(.contextInconsistent, detail: "total_amount differs from the first request", fields: echo)
        }
        existing.precreateCount += 1
        if let notifyURL = request.notifyURL { existing.notifyURL = notifyURL }
        trade = existing
        return .success(echo + [("qr_code", .string(existing.qrCode))])
    }
}

/// Pure state transitions of the sandbox trades, one per gateway operation or control action.
public enum TradeTransitions {
    /// `"0.00"`-style amount field.
    static func amount(_ name: String, _ money: Money) -> (String, JSONNode) {
        (name, .string(money.description))
    }

    /// The `out_trade_no` to echo in an answer: the trade's own, or the one the caller sent.
    static func echo(_ trade: SandboxTrade?, _ reference: TradeLookup) -> [(String, JSONNode)] {
        var fields: [(String, JSONNode)] = []
        if let outTradeNo = trade?.outTradeNo ?? reference.outTradeNo {
            fields.append(("out_trade_no", .string(outTradeNo)))
        }
        if let tradeNo = trade?.tradeNo ?? reference.tradeNo { fields.append(("trade_no", .string(tradeNo))) }
        return fields
    }
}
