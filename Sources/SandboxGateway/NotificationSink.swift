import Alipay
import CivilTime
import Foundation
import JSON
import Synchronization

/// A stand-in merchant endpoint under `/sandbox/sink`: stores every POST it receives and answers `success`
/// (or the `reply` query parameter), so notifications can be checked end to end without ThreePay.
///
/// It keeps the last `capacity` entries, each numbered from 1 in the order received (`clear` starts again at 1).
/// A reader that asks for the entries after the last number it saw gets only the new ones, and knows it missed
/// some when the first one it gets is not the next number.
public final class NotificationSink: Sendable {
    /// One received POST.
    public struct Entry: Sendable {
        public var sequence: Int
        public var time: Date
        public var contentType: String?
        public var body: [UInt8]
        public var threePayHeaders: [String: String]

        public var json: JSONNode {
            .object([
                ("seq", .number(String(sequence))),
                ("time", .string(CivilTimeText.china.format(time))),
                ("content_type", contentType.map { .string($0) } ?? .null),
                ("headers", .object(threePayHeaders.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                ("body", .string(String(decoding: body, as: UTF8.self))),
            ])
        }
    }

    /// How many entries it keeps (the soak reads every 2 s; at 1,000 a busy run pushed callbacks out unread).
    public let capacity: Int
    private let state = Mutex<(entries: [Entry], next: Int)>(([], 1))

    public init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
    }

    /// Stores `request`'s body and answers with `reply` (default `success`).
    public func receive(_ request: SandboxRequest) -> SandboxReply {
        let capacity = capacity
        state.withLock {
            $0.entries.append(Entry(sequence: $0.next, time: Date(), contentType: request.contentType,
                                    body: request.body, threePayHeaders: request.threePayHeaders))
            $0.next += 1
            // Trimmed a quarter at a time, so that a full sink does not move every entry on every POST.
            if $0.entries.count > capacity + capacity / 4 { $0.entries.removeFirst($0.entries.count - capacity) }
        }
        let reply = (try? FormDecoding.pairs(Array(request.query.utf8)))?.first { $0.0 == "reply" }?.1 ?? "success"
        return SandboxReply(status: 200, contentType: "text/plain", body: Array(reply.utf8))
    }

    /// Everything kept, oldest first: the last `capacity` entries (a few more, until the next trim).
    public var received: [Entry] { state.withLock { $0.entries } }

    /// The entries numbered above `sequence`, oldest first.
    public func received(after sequence: Int) -> [Entry] {
        state.withLock { state in
            let start = state.entries.firstIndex { $0.sequence > sequence } ?? state.entries.endIndex
            return Array(state.entries[start...])
        }
    }

    public func clear() {
        state.withLock { $0 = ([], 1) }
    }
}
