import Foundation
import Synchronization

/// The fault decision for one `/gateway.do` reply.
public struct FaultDecision: Sendable, Equatable {
    public var latencyMilliseconds: Int
    /// The failure to inject, or nil for a normal reply.
    public var failure: FaultMode?
    public var applied: Bool
    public var hangMilliseconds: Int
}

/// The current fault settings, shared by all workers; each reply draws one decision from it.
public final class FaultPlan: Sendable {
    private struct State {
        var settings: FaultSettings
        var generation = 0
    }

    private let state: Mutex<State>
    // Hanging and delayed replies wait on this condition so that a reset of the faults wakes them at once.
    private let wakeUp = NSCondition()
    public let defaultHangMilliseconds: Int

    public init(defaultHangMilliseconds: Int = 30_000) {
        self.defaultHangMilliseconds = defaultHangMilliseconds
        state = Mutex(State(settings: FaultSettings(hangMilliseconds: defaultHangMilliseconds)))
    }

    /// The settings in force.
    public var settings: FaultSettings { state.withLock { $0.settings } }

    /// Replaces the settings, waking any reply that is hanging under the old ones.
    public func configure(_ settings: FaultSettings) {
        // Holding the condition's lock while changing the generation means a waiter cannot miss the wake-up.
        wakeUp.lock()
        state.withLock {
            $0.settings = settings
            $0.generation += 1
        }
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    /// Back to no faults at all.
    public func reset() {
        configure(FaultSettings(hangMilliseconds: defaultHangMilliseconds))
    }

    /// Draws the decision for the next reply, using up one of `count` when a failure is chosen.
    public func nextDecision(random: () -> Double = { Double.random(in: 0..<1) }) -> FaultDecision {
        state.withLock { state in
            var settings = state.settings
            var failure: FaultMode?
            let hasBudget = settings.count.map { $0 > 0 } ?? true
            if settings.mode != .none, hasBudget, settings.failureRate <= 0 || random() < settings.failureRate {
                failure = settings.mode
                if let count = settings.count { settings.count = count - 1 }
            }
            state.settings = settings
            return FaultDecision(latencyMilliseconds: settings.latencyMilliseconds, failure: failure,
                                 applied: settings.applied, hangMilliseconds: settings.hangMilliseconds)
        }
    }

    /// Sleeps `milliseconds`, or less if the settings change meanwhile.
    public func pause(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        let generation = state.withLock { $0.generation }
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        wakeUp.lock()
        defer { wakeUp.unlock() }
        while Date() < deadline, state.withLock({ $0.generation }) == generation {
            _ = wakeUp.wait(until: deadline)
        }
    }
}
