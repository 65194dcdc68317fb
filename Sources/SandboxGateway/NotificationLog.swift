import Alipay
import CivilTime
import Foundation
import JSON
import Synchronization

/// One delivery attempt of a notification, as `GET /sandbox/notifications` shows it.
public struct NotificationAttempt: Sendable, Equatable {
    public var time: Date
    public var outTradeNo: String
    public var notifyID: String
    public var tradeStatus: String
    public var url: String
    /// 1 for the first delivery, then 2, 3, … for resends.
    public var attempt: Int
    /// The HTTP status of the merchant's reply; nil when no reply arrived.
    public var httpStatus: Int?
    /// The start of the reply body (at most 200 bytes), or the transport error.
    public var replySnippet: String
    /// True when the merchant answered exactly `success`.
    public var delivered: Bool
    /// True when this failed attempt was the last one the schedule allows.
    public var gaveUp: Bool

    public var json: JSONNode {
        .object([
            ("time", .string(CivilTimeText.china.format(time))),
            ("out_trade_no", .string(outTradeNo)),
            ("notify_id", .string(notifyID)),
            ("trade_status", .string(tradeStatus)),
            ("url", .string(url)),
            ("attempt", .number(String(attempt))),
            ("status_code", httpStatus.map { .number(String($0)) } ?? .null),
            ("reply", .string(replySnippet)),
            ("delivered", .bool(delivered)),
            ("gave_up", .bool(gaveUp)),
        ])
    }
}

/// Every notification attempt, newest last; keeps the latest 10,000.
public final class NotificationLog: Sendable {
    private static let capacity = 10_000
    private let attempts = Mutex<[NotificationAttempt]>([])

    public init() {}

    public func record(_ attempt: NotificationAttempt) {
        attempts.withLock {
            $0.append(attempt)
            if $0.count > Self.capacity { $0.removeFirst($0.count - Self.capacity) }
        }
    }

    /// All attempts, optionally only those for one `out_trade_no`.
    public func entries(outTradeNo: String? = nil) -> [NotificationAttempt] {
        let all = attempts.withLock { $0 }
        guard let outTradeNo else { return all }
        return all.filter { $0.outTradeNo == outTradeNo }
    }

    public func clear() {
        attempts.withLock { $0.removeAll() }
    }
}
