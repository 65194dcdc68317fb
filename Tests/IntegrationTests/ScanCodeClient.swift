import CurlClient
import Foundation
import XCTest

/// The ScanCode endpoint's path behind nginx.
let scanCodePath = "/api/3Pay/AliPay/ScanCode"

/// A blocking HTTP client for the stack behind nginx that sends exactly the headers it is given.
///
/// libcurl underneath: a header passed with an empty value is not sent at all, so a request can go
/// out without Accept or Content-Type (a client that omits them), which the negotiation rules need.
/// Not Sendable, like `HTTPClient`: one per thread.
final class ScanCodeClient {
    private let client: HTTPClient

    init() throws {
        client = try HTTPClient(connectTimeoutMilliseconds: 3000, totalTimeoutMilliseconds: 60_000, verifyTLS: false)
    }

    /// POSTs to the ScanCode endpoint. `contentType` and `accept` nil: the header is not sent.
    func scanCode(
        _ body: [UInt8], contentType: String?, accept: String? = nil, headers: [(String, String)] = []
    ) throws -> HTTPReply {
        try post(scanCodePath, body, contentType: contentType, accept: accept, headers: headers)
    }

    func post(
        _ path: String, _ body: [UInt8], contentType: String?, accept: String? = nil, headers: [(String, String)] = []
    ) throws -> HTTPReply {
        try client.post(
            url: TestStack.baseURL + path, contentType: contentType ?? "", body: body,
            headers: [("Accept", accept ?? "")] + headers)
    }

    func get(_ path: String) throws -> HTTPReply {
        try client.get(url: TestStack.baseURL + path)
    }

    /// Whether the responder answers its health check (the process and a database connection work).
    func responderIsHealthy() -> Bool {
        guard let reply = try? get("/api/3Pay/health"), reply.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        else { return false }
        return object["errcode"] as? Int == 0
    }
}

/// The sandbox gateway's control actions (`/sandbox/…`).
struct ScanCodeSandbox {
    let client: ScanCodeClient

    /// Configures gateway faults, e.g. `["mode": "hang", "hang_ms": 20000]`.
    func setFaults(_ settings: [String: Any]) throws {
        let body = try JSONSerialization.data(withJSONObject: settings)
        let reply = try client.post("/sandbox/faults", Array(body), contentType: "application/json")
        guard reply.status == 200 else { throw ScanCodeFailure("sandbox refused faults \(settings): \(reply.status) \(ScanCodeEnvelope.text(reply))") }
    }

    /// Clears every fault (the book of trades is kept).
    func resetFaults() throws {
        let reply = try client.post("/sandbox/reset", [], contentType: nil)
        guard reply.status == 200 else { throw ScanCodeFailure("sandbox reset failed: \(reply.status) \(ScanCodeEnvelope.text(reply))") }
    }

    /// The sandbox's trade, or nil when it does not know the number.
    func trade(_ outTradeNo: String) throws -> [String: Any]? {
        let reply = try client.get("/sandbox/trades/" + outTradeNo)
        if reply.status == 404 { return nil }
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any] else {
            throw ScanCodeFailure("sandbox trade lookup failed: \(reply.status) \(ScanCodeEnvelope.text(reply))")
        }
        return object
    }

    /// Pays the trade as a buyer would (scan, then pay), without sending the notification.
    func pay(_ outTradeNo: String) throws {
        let body = try JSONSerialization.data(withJSONObject: ["out_trade_no": outTradeNo, "notify": "0"])
        let reply = try client.post("/sandbox/pay", Array(body), contentType: "application/json")
        guard reply.status == 200 else { throw ScanCodeFailure("sandbox pay failed: \(reply.status) \(ScanCodeEnvelope.text(reply))") }
    }

    /// Every trade in the sandbox's book.
    func trades() throws -> [[String: Any]] {
        let reply = try client.get("/sandbox/trades")
        guard reply.status == 200, let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
              let trades = object["trades"] as? [[String: Any]]
        else { throw ScanCodeFailure("sandbox trade list failed: \(reply.status) \(ScanCodeEnvelope.text(reply))") }
        return trades
    }
}

/// A test precondition that did not hold, with a readable reason.
struct ScanCodeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Bill numbers no earlier run used: a random run prefix plus a counter (at most 20 characters).
enum ScanCodeBillNumbers {
    static let run: String = {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        return String((0..<6).map { _ in alphabet.randomElement()! })
    }()
    private static let counter = Counter()

    /// `<tag><run><n>`: tag at most 6 characters.
    static func next(_ tag: String) -> String {
        "\(tag.prefix(6))\(run)\(counter.next())"
    }

    final class Counter: @unchecked Sendable {
        // Guarded by `lock`; bill numbers are drawn from several threads at once.
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
