import Synchronization

/// A count shared by threads or tasks (answers received, bill numbers drawn).
public final class SharedCounter: Sendable {
    private let count = Mutex(0)

    public init() {}

    /// Adds one and returns the new count.
    @discardableResult
    public func increment() -> Int {
        count.withLock { value in
            value += 1
            return value
        }
    }

    public var value: Int { count.withLock { $0 } }
}

/// Events in the order they happened, written by threads or tasks: tests assert the order of things rather
/// than how long they took.
public final class EventLog: Sendable {
    private let events = Mutex<[String]>([])

    public init() {}

    public func record(_ event: String) {
        events.withLock { $0.append(event) }
    }

    public var entries: [String] { events.withLock { $0 } }
}
