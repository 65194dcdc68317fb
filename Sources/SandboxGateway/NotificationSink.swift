import Alipay
import CivilTime
import Foundation
import JSON
import Synchronization

/// A stand-in merchant endpoint under `/sandbox/sink`: stores every POST it receives and answers `success`
/// (or the `reply` query parameter), so notifications can be checked end to end without ThreePay.
public final class NotificationSink: Sendable {
    /// One received POST.
    public struct Entry: Sendable {
        public var time: Date
        public var contentType: String?
        public var body: [UInt8]
        public var threePayHeaders: [String: String]

        public var json: JSONNode {
            .object([
                ("time", .string(CivilTimeText.china.format(time))),
                ("content_type", contentType.map { .string($0) } ?? .null),
                ("headers", .object(threePayHeaders.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("body", .string(String(decoding: body, as: UTF8.self))),
            ])
        }
    }

    private static let capacity = 1000
    private let entries = Mutex<[Entry]>([])

    public init() {}

    /// Stores `request`'s body and answers with `reply` (default `success`).
    public func receive(_ request: SandboxRequest) -> SandboxReply {
        let entry = Entry(
            time: Date(), contentType: request.contentType, body: request.body, threePayHeaders: request.threePayHeaders)
        entries.withLock {
            $0.append(entry)
            if $0.count > Self.capacity { $0.removeFirst($0.count - Self.capacity) }
        }
        let reply = (try? FormDecoding.pairs(Array(request.query.utf8)))?.first { $0.0 == "reply" }?.1 ?? "success"
        return SandboxReply(status: 200, contentType: "text/plain", body: Array(reply.utf8))
    }

    /// Everything received, oldest first.
    public var received: [Entry] { entries.withLock { $0 } }

    public func clear() {
        entries.withLock { $0.removeAll() }
    }
}
