import Foundation

/// Blocking work (an HTTP exchange, a database call, a parse that must end) on a thread of its own, so
/// that the test can watch it from outside, act while it is still running, and wait for its end with a
/// deadline instead of hanging for ever.
public final class Background<Value: Sendable>: @unchecked Sendable {
    // `outcome` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var outcome: Result<Value, any Error>?

    /// Starts `work` at once on a new thread.
    public init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let result = Result { try work() }
            lock.withLock { outcome = result }
        }
        // Deeply nested documents are parsed recursively on the threads that send them.
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// True once the work has returned or thrown.
    public var isFinished: Bool { lock.withLock { outcome != nil } }

    /// Waits until the work has ended and returns its value (or throws its error); throws `TestFailure`
    /// naming `what` when `seconds` pass first.
    public func value(_ what: @autoclosure () -> String, seconds: Double) throws -> Value {
        try Poll.value(what(), seconds: seconds, every: 0.01) { lock.withLock { outcome } }.get()
    }

    /// Runs `work` on a thread of its own and awaits its value, without holding one of the few threads
    /// Swift's concurrency runs tasks on.
    public static func run(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }
}
