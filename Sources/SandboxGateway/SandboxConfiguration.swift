import FastCGI
import Foundation
import RSASigning

/// A setting that is missing or invalid; names the setting, never a key's text.
public struct SandboxConfigurationError: Error, Sendable, CustomStringConvertible {
    public let setting: String
    public let reason: String
    public var description: String { "\(setting): \(reason)" }
}

/// The sandbox's settings, read once from the environment at start.
public struct SandboxConfiguration: Sendable {
    public var listen: ListenAddress
    public var workers: Int
    public var appID: String
    /// The merchant's public key, to verify requests.
    public var merchantPublicKey: RSAPublicKey
    /// The sandbox's stand-in for Alipay's private key, to sign answers and notifications.
    public var alipayPrivateKey: RSAPrivateKey
    public var sellerID: String
    public var controlEnabled: Bool
    public var statePath: String?
    /// Seconds to wait before each resend of a notification.
    public var notifySchedule: [Double]
    public var notifyTimeoutMilliseconds: Int
    public var hangMilliseconds: Int

    /// Reads every `THREEPAY_SANDBOX_*` setting:
    /// - `LISTEN` (required): unix socket path or `host:port`.
    /// - `WORKERS`: 1…2048, default 64.
    /// - `APP_ID` (required); `APP_PUBLIC_KEY` (required, path or key text); `PRIVATE_KEY` (required, path or text).
    /// - `SELLER_ID`: default 2088102177840000. `CONTROL`: `1` enables `/sandbox/`. `STATE`: state file path.
    /// - `NOTIFY_SCHEDULE`: comma list of resend delays (`1`, `1.5s`, `500ms`), default `1,2,4,8,16`.
    /// - `NOTIFY_TIMEOUT_MS`: per-attempt timeout, default 5000. `HANG_MS`: the `hang` fault's sleep, default 30000.
    public static func load(from environment: [String: String]) throws(SandboxConfigurationError) -> SandboxConfiguration {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func required(_ name: String) throws(SandboxConfigurationError) -> String {
            guard let text = value(name) else { throw SandboxConfigurationError(setting: name, reason: "not set") }
            return text
        }
        func integer(_ name: String, default fallback: Int, _ range: ClosedRange<Int>) throws(SandboxConfigurationError) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw SandboxConfigurationError(setting: name, reason: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        let listen: ListenAddress
        do {
            listen = try ListenAddress(parsing: try required("THREEPAY_SANDBOX_LISTEN"))
        } catch let error as SandboxConfigurationError {
            throw error
        } catch {
            throw SandboxConfigurationError(setting: "THREEPAY_SANDBOX_LISTEN", reason: "\(error)")
        }
        let appID = try required("THREEPAY_SANDBOX_APP_ID")
        guard appID.count <= 32, appID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw SandboxConfigurationError(setting: "THREEPAY_SANDBOX_APP_ID", reason: "must be up to 32 letters or digits")
        }
        let sellerID = value("THREEPAY_SANDBOX_SELLER_ID") ?? "2088102177840000"
        guard sellerID.hasPrefix("2088"), sellerID.count == 16, sellerID.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw SandboxConfigurationError(setting: "THREEPAY_SANDBOX_SELLER_ID", reason: "must be 16 digits starting with 2088")
        }
        let schedule = try NotifySchedule.parse(value("THREEPAY_SANDBOX_NOTIFY_SCHEDULE") ?? "1,2,4,8,16")
        let control = value("THREEPAY_SANDBOX_CONTROL") ?? "0"
        guard control == "0" || control == "1" else {
            throw SandboxConfigurationError(setting: "THREEPAY_SANDBOX_CONTROL", reason: "must be 0 or 1")
        }
        return SandboxConfiguration(
            listen: listen,
            workers: try integer("THREEPAY_SANDBOX_WORKERS", default: 64, 1...2048),
            appID: appID,
            merchantPublicKey: try key("THREEPAY_SANDBOX_APP_PUBLIC_KEY", environment) { try KeySource.publicKey($0, setting: $1) },
            alipayPrivateKey: try key("THREEPAY_SANDBOX_PRIVATE_KEY", environment) { try KeySource.privateKey($0, setting: $1) },
            sellerID: sellerID,
            controlEnabled: control == "1",
            statePath: value("THREEPAY_SANDBOX_STATE"),
            notifySchedule: schedule,
            notifyTimeoutMilliseconds: try integer("THREEPAY_SANDBOX_NOTIFY_TIMEOUT_MS", default: 5000, 100...120_000),
            hangMilliseconds: try integer("THREEPAY_SANDBOX_HANG_MS", default: 30_000, 0...3_600_000))
    }

    private static func key<Key>(
        _ setting: String, _ environment: [String: String], _ load: (String, String) throws -> Key
    ) throws(SandboxConfigurationError) -> Key {
        guard let raw = environment[setting], !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SandboxConfigurationError(setting: setting, reason: "not set")
        }
        do {
            return try load(raw, setting)
        } catch let error as KeySourceError {
            // KeySourceError names the setting and never the key text; its message starts with "<setting>: ".
            let text = error.description
            let prefix = "\(setting): "
            throw SandboxConfigurationError(
                setting: setting, reason: text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        } catch {
            throw SandboxConfigurationError(setting: setting, reason: "not a usable RSA key")
        }
    }
}

/// Parses `THREEPAY_SANDBOX_NOTIFY_SCHEDULE`.
public enum NotifySchedule {
    /// `"1,2,4"`, `"500ms,1s,1.5s"` → delays in seconds; an empty list means a single attempt.
    public static func parse(_ text: String) throws(SandboxConfigurationError) -> [Double] {
        let setting = "THREEPAY_SANDBOX_NOTIFY_SCHEDULE"
        if text.trimmingCharacters(in: .whitespaces) == "none" { return [] }
        var delays: [Double] = []
        for item in text.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            let seconds: Double?
            if entry.hasSuffix("ms") {
                seconds = Double(entry.dropLast(2)).map { $0 / 1000 }
            } else if entry.hasSuffix("s") {
                seconds = Double(entry.dropLast())
            } else {
                seconds = Double(entry)
            }
            guard let seconds, seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
                throw SandboxConfigurationError(setting: setting, reason: "'\(entry)' is not a delay like 2, 1.5s or 500ms")
            }
            delays.append(seconds)
        }
        guard delays.count <= 50 else { throw SandboxConfigurationError(setting: setting, reason: "at most 50 resends") }
        return delays
    }
}
