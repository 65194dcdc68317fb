import CurlClient
import Foundation
import TestSupport

/// The sandbox gateway's control API (`/sandbox/…` behind the stack's nginx): faults, trades, payments,
/// notifications and the recording sink. Blocking, on a `StackClient`; async tests use `StackSandbox.run`.
struct StackSandbox {
    /// One delivery attempt of a notification (`GET /sandbox/notifications`).
    struct NotifyAttempt: Sendable {
        let attempt: Int
        let statusCode: Int?
        let reply: String
        let delivered: Bool
    }

    /// One POST the recording sink received (`GET /sandbox/sink`): the body and the `X-ThreePay-*` headers.
    struct SinkEntry: Sendable {
        let body: String
        let headers: [String: String]
    }

    let client: StackClient

    init(_ client: StackClient) {
        self.client = client
    }

    /// Runs `body` with the control API on a thread of its own (see `HTTP.run`).
    static func run<Value: Sendable>(_ body: @escaping @Sendable (StackSandbox) throws -> Value) async throws -> Value {
        try await HTTP.run { try body(StackSandbox($0)) }
    }

    // MARK: Faults

    /// Configures gateway faults, e.g. `["mode": "hang", "hang_ms": 20000]`.
    func setFaults(_ settings: [String: any Sendable]) throws {
        let reply = try client.postJSON("/sandbox/faults", settings)
        guard reply.status == 200 else { throw TestFailure("the sandbox refused faults \(settings): \(reply.status) \(reply.text)") }
    }

    /// The fault settings in force (scalar members as text; `count` is how many failures are left, and
    /// absent when unlimited).
    func faults() throws -> [String: String] {
        try object(client.get("/sandbox/faults"), "sandbox faults")
    }

    /// Clears every fault, which also wakes every hanging or delayed reply; the book of trades, the
    /// notifications and the sink are kept.
    func resetFaults() throws {
        let reply = try client.post("/sandbox/reset", [], contentType: nil)
        guard reply.status == 200 else { throw TestFailure("sandbox reset failed: \(reply.status) \(reply.text)") }
    }

    /// Resets the faults until `released` holds (the hanging replies have answered). A reply that drew its
    /// fault just before one reset can start its pause just after it; then only the next reset wakes it.
    func resetFaults(until what: String, seconds: Double = 30, _ released: () throws -> Bool) throws {
        try Poll.until(what, seconds: seconds) {
            try resetFaults()
            return try released()
        }
    }

    // MARK: Trades

    /// The trade (scalar members as text), nil when the sandbox does not know the number.
    func trade(_ outTradeNo: String) throws -> [String: String]? {
        let reply = try client.get("/sandbox/trades/" + outTradeNo)
        if reply.status == 404 { return nil }
        return try object(reply, "sandbox trade lookup")
    }

    /// Every trade in the book (scalar members as text).
    func trades() throws -> [[String: String]] {
        try list("/sandbox/trades", "trades").map(Self.scalars)
    }

    /// A buyer pays the trade (scanning it first); `notify: false` loses the notification.
    @discardableResult
    func pay(_ outTradeNo: String, notify: Bool = true) throws -> HTTPReply {
        try control("pay", ["out_trade_no": outTradeNo, "notify": notify ? "1" : "0"])
    }

    /// A buyer scans the QR code.
    @discardableResult
    func scan(_ outTradeNo: String) throws -> HTTPReply {
        try control("scan", ["out_trade_no": outTradeNo])
    }

    /// The sandbox sends the paid trade's notification again.
    func resendNotification(_ outTradeNo: String) throws -> HTTPReply {
        try control("notify", ["out_trade_no": outTradeNo])
    }

    func control(_ action: String, _ parameters: [String: String]) throws -> HTTPReply {
        try client.postJSON("/sandbox/\(action)", parameters)
    }

    // MARK: Notifications and callbacks

    /// Every delivery attempt of the trade's notifications, oldest first.
    func notifications(_ outTradeNo: String) throws -> [NotifyAttempt] {
        try list("/sandbox/notifications?out_trade_no=\(outTradeNo)", "notifications").map { entry in
            NotifyAttempt(
                attempt: (entry["attempt"] as? Int) ?? 0, statusCode: entry["status_code"] as? Int,
                reply: entry["reply"] as? String ?? "", delivered: entry["delivered"] as? Bool ?? false)
        }
    }

    /// Everything the recording sink received, oldest first.
    func sink() throws -> [SinkEntry] {
        try list("/sandbox/sink", "received").map { entry in
            SinkEntry(
                body: entry["body"] as? String ?? "",
                headers: (entry["headers"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String })
        }
    }

    // MARK: Helpers

    /// The array `member` of the JSON object GET `path` answers.
    private func list(_ path: String, _ member: String) throws -> [[String: Any]] {
        let reply = try client.get(path)
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: reply.data) as? [String: Any],
              let entries = object[member] as? [[String: Any]]
        else { throw TestFailure("GET \(path): HTTP \(reply.status) \(reply.text.prefix(200))") }
        return entries
    }

    private func object(_ reply: HTTPReply, _ what: String) throws -> [String: String] {
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: reply.data) as? [String: Any] else {
            throw TestFailure("\(what): HTTP \(reply.status) \(reply.text.prefix(200))")
        }
        return Self.scalars(object)
    }

    /// The members that are strings, numbers or booleans, as text.
    private static func scalars(_ object: [String: Any]) -> [String: String] {
        object.compactMapValues { value in
            if let text = value as? String { return text }
            if let number = value as? NSNumber { return number.stringValue }
            return nil
        }
    }
}
