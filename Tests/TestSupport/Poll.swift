import Foundation

/// Waiting for something that happens elsewhere (another thread, a process, the stack's servers): the
/// condition is checked again and again until it holds, and the wait fails once its deadline has passed.
/// The pause between two checks is the only sleep a test needs; nothing waits a fixed time instead.
public enum Poll {
    /// Checks `condition` until it holds; throws `TestFailure` naming `what` when `seconds` pass first.
    public static func until(
        _ what: @autoclosure () -> String, seconds: Double, every interval: Double = 0.05,
        _ condition: () throws -> Bool
    ) throws {
        try value(what(), seconds: seconds, every: interval) { try condition() ? () : nil }
    }

    /// Calls `produce` until it returns a value, and returns that value; throws `TestFailure` naming `what`
    /// when `seconds` pass first.
    @discardableResult
    public static func value<Value>(
        _ what: @autoclosure () -> String, seconds: Double, every interval: Double = 0.05,
        _ produce: () throws -> Value?
    ) throws -> Value {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let found = try produce() { return found }
            guard ContinuousClock.now < deadline else { throw timeout(what(), seconds) }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// `until` for async tests: the condition may await (an HTTP call, another task), and the pauses between
    /// checks do not hold a thread.
    public static func eventually(
        _ what: @autoclosure () -> String, seconds: Double, every interval: Double = 0.05,
        _ condition: () async throws -> Bool
    ) async throws {
        try await eventualValue(what(), seconds: seconds, every: interval) { try await condition() ? () : nil }
    }

    /// `value` for async tests (see `eventually`).
    @discardableResult
    public static func eventualValue<Value>(
        _ what: @autoclosure () -> String, seconds: Double, every interval: Double = 0.05,
        _ produce: () async throws -> Value?
    ) async throws -> Value {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let found = try await produce() { return found }
            guard ContinuousClock.now < deadline else { throw timeout(what(), seconds) }
            try await Task.sleep(for: .seconds(interval))
        }
    }

    private static func timeout(_ what: String, _ seconds: Double) -> TestFailure {
        TestFailure("\(what): not within \(seconds) s")
    }
}
