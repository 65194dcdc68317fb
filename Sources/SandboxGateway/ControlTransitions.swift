import Foundation

/// Why a control action could not be applied; carries the HTTP status the control API answers with.
public struct ControlRefusal: Error, Sendable, Equatable {
    public let status: Int
    public let message: String
}

extension TradeTransitions {
    /// A buyer scans the QR code: the trade becomes known to Alipay (WAIT_BUYER_PAY) and gets a trade number.
    public static func scan(
        _ trade: inout SandboxTrade?, now: Date, fresh: FreshIdentifiers
    ) -> Result<SandboxTrade, ControlRefusal> {
        guard var existing = trade else { return .failure(ControlRefusal(status: 404, message: "no such trade")) }
        switch existing.status {
        case .created:
            existing.status = .waitBuyerPay
            existing.scannedAt = now
            existing.tradeNo = fresh.tradeNo
            existing.buyerID = fresh.buyerID
            existing.buyerLogonID = fresh.buyerLogonID
            trade = existing
            return .success(existing)
        case .waitBuyerPay:
            return .success(existing)
        case .success:
            return .failure(ControlRefusal(status: 409, message: "trade is already paid"))
        case .closed:
            return .failure(ControlRefusal(status: 409, message: "trade is closed"))
        }
    }

    /// The buyer pays (scanning first if needed): TRADE_SUCCESS with a payment time.
    public static func pay(
        _ trade: inout SandboxTrade?, now: Date, fresh: FreshIdentifiers
    ) -> Result<SandboxTrade, ControlRefusal> {
        if case .failure(let refusal) = scan(&trade, now: now, fresh: fresh) { return .failure(refusal) }
        guard var existing = trade else { return .failure(ControlRefusal(status: 404, message: "no such trade")) }
        existing.status = .success
        existing.paidAt = now
        trade = existing
        return .success(existing)
    }

    /// The trade closes on Alipay's side without a merchant call (e.g. the buyer gives up and it times out early).
    public static func controlClose(_ trade: inout SandboxTrade?, now: Date) -> Result<SandboxTrade, ControlRefusal> {
        guard var existing = trade else { return .failure(ControlRefusal(status: 404, message: "no such trade")) }
        switch existing.status {
        case .created, .waitBuyerPay:
            existing.markClosed(.control, at: now)
            trade = existing
            return .success(existing)
        case .success:
            return .failure(ControlRefusal(status: 409, message: "trade is paid"))
        case .closed:
            return .success(existing)
        }
    }
}
