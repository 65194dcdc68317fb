import Alipay
import Foundation
import JSON
import MariaDB
import RSASigning
import TestSupport
import XCTest

/// Payment notifications built by the test itself, signed like Alipay's (or forged).
enum LifecycleNotification {
    /// The APPID the stack's responder and sandbox use (scripts/stack.sh).
    static var appID: String { TestStack.environment["THREEPAY_ALIPAY_APP_ID"] ?? "2021000000000001" }

    /// The sandbox's stand-in Alipay private key: what genuine notifications are signed with.
    static func alipayKey() throws -> RSAPrivateKey {
        try RSAPrivateKey(text: String(contentsOfFile: TestStack.stateDir + "/keys/sandbox_alipay_private.pem", encoding: .utf8))
    }

    /// The merchant's own key: a valid RSA key, but not Alipay's.
    static func wrongKey() throws -> RSAPrivateKey {
        try RSAPrivateKey(text: String(contentsOfFile: TestStack.stateDir + "/keys/app_private.pem", encoding: .utf8))
    }

    /// A TRADE_SUCCESS notification for the sandbox's paid `trade` (the fields Alipay sends).
    static func fields(paid trade: [String: String]) throws -> [String: String] {
        let amount = try XCTUnwrap(trade["total_amount"])
        let now = chinaTime(Date())
        return [
            "notify_time": now, "notify_type": "trade_status_sync",
            "notify_id": "lc" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            "app_id": appID, "auth_app_id": appID, "charset": "utf-8", "version": "1.0",
            "trade_no": try XCTUnwrap(trade["trade_no"]), "out_trade_no": try XCTUnwrap(trade["out_trade_no"]),
            "trade_status": "TRADE_SUCCESS", "total_amount": amount, "receipt_amount": amount,
            "buyer_pay_amount": amount, "invoice_amount": amount, "point_amount": "0.00",
            "buyer_id": trade["buyer_id"] ?? "2088000000000001", "seller_id": "2088102177840000",
            "subject": trade["subject"] ?? "lifecycle test", "gmt_create": trade["scanned_at"] ?? now,
            "gmt_payment": trade["paid_at"] ?? now,
        ]
    }

    /// The form body: every field, `sign_type=RSA2` and `sign` over Alipay's signing string with `key`
    /// (or the given `sign` text as is).
    static func form(_ fields: [String: String], key: RSAPrivateKey?, sign forged: String? = nil) throws -> [UInt8] {
        var pairs = fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let sign: String
        if let key {
            sign = Data(try key.sign(sha256: Array(AlipayCanonical.signingString(fields).utf8))).base64EncodedString()
        } else {
            sign = forged ?? ""
        }
        pairs += [("sign_type", "RSA2"), ("sign", sign)]
        let encoded = pairs.map { name, value in
            HexDigit.percentEncoded(bytes: Array(name.utf8)) + [UInt8(ascii: "=")] + HexDigit.percentEncoded(bytes: Array(value.utf8))
        }
        return Array(encoded.joined(separator: [UInt8(ascii: "&")]))
    }

    static func chinaTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// One callback ThreePay delivered to the sandbox's recording sink.
struct LifecycleCallback: Sendable {
    let timestamp: String?
    let signature: String?
    let body: String
    /// The JSON body's string members.
    let fields: [String: String]
}

/// The callbacks the stack sends to `/sandbox/sink`, and their HMAC-SHA256 signatures.
enum LifecycleCallbacks {
    /// Every callback the sink holds for the payment record.
    static func received(autoid: Int64, billnum: String) async throws -> [LifecycleCallback] {
        try await StackSandbox.run { try $0.sink() }.compactMap { entry in
            guard let json = try? JSONSerialization.jsonObject(with: Data(entry.body.utf8)) as? [String: Any] else { return nil }
            let fields = json.compactMapValues { $0 as? String }
            guard fields["autoid"] == String(autoid), fields["billnum"] == billnum else { return nil }
            return LifecycleCallback(
                timestamp: entry.headers["x-threepay-timestamp"], signature: entry.headers["x-threepay-signature"],
                body: entry.body, fields: fields)
        }
    }

    /// Waits for the payment's first callback (the service's background loop runs every second).
    static func first(autoid: Int64, billnum: String, seconds: Double = 30) async throws -> LifecycleCallback {
        try await Poll.eventualValue("callback for autoid \(autoid)", seconds: seconds, every: 0.2) {
            try await received(autoid: autoid, billnum: billnum).first
        }
    }

    /// The stack's callback secret (scripts/stack.sh writes it; the service trims surrounding whitespace).
    static func secret() throws -> String {
        try String(contentsOfFile: TestStack.stateDir + "/keys/callback_secret", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// HMAC-SHA256 of `message` under `key`, lower-case hex, computed by the openssl command line tool so
    /// that the check does not rest on the service's own implementation.
    static func hmacHex(key: String, message: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha256", "-hmac", key]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(message))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let range = text.range(of: "= ", options: .backwards) else {
            throw TestFailure("openssl dgst failed: \(text)")
        }
        return text[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Checks `X-ThreePay-Signature: sha256=<hex of HMAC(secret, "<timestamp>.<body>")>` and a timestamp taken
    /// when the callback was sent: not before its outbox row was written (by the database's clock), not after now.
    static func assertSigned(
        _ callback: LifecycleCallback, _ database: StackDatabase, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let timestamp = try XCTUnwrap(callback.timestamp, "no X-ThreePay-Timestamp", file: file, line: line)
        let seconds = try XCTUnwrap(Int(timestamp), "timestamp \(timestamp)", file: file, line: line)
        let autoid = try XCTUnwrap(callback.fields["autoid"].flatMap { Int64($0) }, file: file, line: line)
        let queued = try XCTUnwrap(database.rows(
            "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', created_at) AS queued FROM T_3Pay_Callback_Outbox WHERE autoid = ?",
            [.int(autoid)]).first?["queued"].flatMap { Int($0) }, "no outbox row for \(autoid)", file: file, line: line)
        XCTAssertLessThanOrEqual(queued, seconds, "timestamp not before the callback was queued", file: file, line: line)
        XCTAssertLessThanOrEqual(seconds, Int(Date().timeIntervalSince1970), "timestamp not in the future", file: file, line: line)
        let signature = try XCTUnwrap(callback.signature, "no X-ThreePay-Signature", file: file, line: line)
        let expected = try hmacHex(key: try secret(), message: Array("\(timestamp).\(callback.body)".utf8))
        XCTAssertEqual(signature, "sha256=" + expected, "HMAC over timestamp.body", file: file, line: line)
        let forged = try hmacHex(key: try secret() + "x", message: Array("\(timestamp).\(callback.body)".utf8))
        XCTAssertNotEqual(signature, "sha256=" + forged, "the check can fail", file: file, line: line)
    }
}
