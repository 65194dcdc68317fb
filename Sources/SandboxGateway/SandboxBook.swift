import Foundation
import Synchronization

/// Identifiers minted under the book's lock, already checked to be unused, for a transition that needs them.
public struct FreshIdentifiers: Sendable {
    public let qrCode: String
    public let tradeNo: String
    public let buyerID: String
    public let buyerLogonID: String
}

/// The sandbox's thread-safe trade book: a lock around a dictionary keyed by `out_trade_no`.
///
/// Every change runs as a short transition closure under the lock; the closures are pure value
/// updates (no I/O), so the critical sections stay tiny even with hundreds of workers.
public final class SandboxBook: Sendable {
    private struct State {
        var trades: [String: SandboxTrade] = [:]
        var outTradeNoByTradeNo: [String: String] = [:]
        var qrCodes: Set<String> = []
        var revision: UInt64 = 0
    }

    private let state = Mutex(State())
    private let onChange: @Sendable () -> Void

    /// - Parameter onChange: called (outside the lock) after every committed change, e.g. to schedule a save.
    public init(onChange: @escaping @Sendable () -> Void = {}) {
        self.onChange = onChange
    }

    /// Runs `transition` on the trade `reference` names (nil when unknown), after applying any expiry due at `now`.
    ///
    /// With `commit` false the transition sees and edits a copy that is thrown away: the answer is computed
    /// as if the operation ran, but the book does not change.
    public func update<Result: Sendable>(
        _ reference: TradeLookup, now: Date, commit: Bool = true,
        _ transition: (inout SandboxTrade?, FreshIdentifiers) -> Result
    ) -> Result {
        let (result, changed) = state.withLock { state -> (Result, Bool) in
            let key = Self.key(for: reference, in: state)
            let original = key.flatMap { state.trades[$0] }
            var working = original.map { Self.expired($0, at: now) }
            let fresh = Self.freshIdentifiers(in: state, now: now)
            let result = transition(&working, fresh)
            guard commit, working != original, let trade = working else { return (result, false) }
            Self.store(trade, previous: original, in: &state)
            return (result, true)
        }
        if changed { onChange() }
        return result
    }

    /// The trade with this `out_trade_no`, expiry applied as of `now`.
    public func trade(outTradeNo: String, now: Date) -> SandboxTrade? {
        state.withLock { $0.trades[outTradeNo] }.map { Self.expired($0, at: now) }
    }

    /// Every trade, oldest first, expiry applied as of `now`.
    public func allTrades(now: Date) -> [SandboxTrade] {
        state.withLock { Array($0.trades.values) }
            .map { Self.expired($0, at: now) }
            .sorted { ($0.createdAt, $0.outTradeNo) < ($1.createdAt, $1.outTradeNo) }
    }

    /// A counter that grows with every committed change (for the state file writer).
    public var revision: UInt64 { state.withLock { $0.revision } }

    /// Replaces the whole book (loading a state file, or `reset` with an empty list).
    public func replaceAll(with trades: [SandboxTrade]) {
        state.withLock { state in
            state = State()
            for trade in trades { Self.store(trade, previous: nil, in: &state) }
        }
        onChange()
    }

    private static func key(for reference: TradeLookup, in state: State) -> String? {
        // Alipay lets trade_no win when both are given.
        if let tradeNo = reference.tradeNo { return state.outTradeNoByTradeNo[tradeNo] }
        return reference.outTradeNo
    }

    private static func store(_ trade: SandboxTrade, previous: SandboxTrade?, in state: inout State) {
        state.trades[trade.outTradeNo] = trade
        if let tradeNo = trade.tradeNo { state.outTradeNoByTradeNo[tradeNo] = trade.outTradeNo }
        if previous?.qrCode != trade.qrCode { state.qrCodes.insert(trade.qrCode) }
        state.revision &+= 1
    }

    private static func expired(_ trade: SandboxTrade, at now: Date) -> SandboxTrade {
        guard trade.status == .created || trade.status == .waitBuyerPay, now >= trade.expiresAt else { return trade }
        var closed = trade
        closed.status = .closed
        closed.closeReason = .timeout
        closed.closedAt = trade.expiresAt
        return closed
    }

    private static func freshIdentifiers(in state: State, now: Date) -> FreshIdentifiers {
        var qrCode = SandboxIdentifiers.qrCode()
        while state.qrCodes.contains(qrCode) { qrCode = SandboxIdentifiers.qrCode() }
        let buyerID = SandboxIdentifiers.buyerID()
        var tradeNo = SandboxIdentifiers.tradeNo(at: now, buyerID: buyerID)
        while state.outTradeNoByTradeNo[tradeNo] != nil {
            tradeNo = SandboxIdentifiers.tradeNo(at: now, buyerID: buyerID)
        }
        return FreshIdentifiers(qrCode: qrCode, tradeNo: tradeNo, buyerID: buyerID,
                                buyerLogonID: SandboxIdentifiers.maskedLogonID())
    }
}
