import Glibc

/// The one instant by which a request must be answered. Every wait on its behalf — a database lock, a retry
/// pause, a reconnect, a gateway call — draws on what is left of it, so retries can never outlast the request.
///
/// Measured on the monotonic clock: changes of the wall clock neither shorten nor extend it.
public struct Deadline: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Monotonic nanoseconds since an arbitrary point (CLOCK_MONOTONIC).
    public let instant: UInt64

    public init(instant: UInt64) {
        self.instant = instant
    }

    /// `milliseconds` from now.
    public static func after(milliseconds: Int) -> Deadline {
        Deadline(instant: now() &+ UInt64(max(milliseconds, 0)) &* 1_000_000)
    }

    /// A deadline so far away that nothing waits for it (command-line tools, tests of other rules).
    public static let distant = Deadline(instant: UInt64.max / 2)

    /// Milliseconds left, 0 once it has passed.
    public var remainingMilliseconds: Int {
        let current = Deadline.now()
        return instant > current ? Int((instant - current) / 1_000_000) : 0
    }

    /// True once the instant has come.
    public var hasPassed: Bool { Deadline.now() >= instant }

    /// `milliseconds` before this deadline: the time for one part of the work when the rest needs that much.
    public func reserving(milliseconds: Int) -> Deadline {
        let cut = UInt64(max(milliseconds, 0)) &* 1_000_000
        return Deadline(instant: instant > cut ? instant - cut : 0)
    }

    /// The earlier of this deadline and `milliseconds` from now: a single wait that must also stop sooner.
    public func capped(atMilliseconds milliseconds: Int) -> Deadline {
        min(self, .after(milliseconds: milliseconds))
    }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.instant < rhs.instant }

    public var description: String { "deadline in \(remainingMilliseconds) ms" }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
