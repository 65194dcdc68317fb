/// Reads typed values out of the raw settings, collecting a problem (naming the key, never a secret
/// value) for each one that does not parse.
struct SettingReader {
    let values: [String: String]
    var problems: [String] = []

    init(values: [String: String]) {
        self.values = values
    }

    /// The value, or nil when unset or blank.
    func string(_ key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    mutating func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            problems.append("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
            return fallback
        }
        return value
    }

    mutating func octal(_ key: String, default fallback: Int) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text, radix: 8), (0...0o777).contains(value) else {
            problems.append("\(key) must be octal permission bits such as 660, not '\(text)'")
            return fallback
        }
        return value
    }

    mutating func url(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), text.count > 8, !text.contains(" ") else {
            problems.append("\(key) must be an http:// or https:// URL, not '\(Self.displayURL(text))'")
            return nil
        }
        return text
    }

    /// A URL as it may be shown in a log line or an error: a `user:password@` part is replaced by `***@`.
    static func displayURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return url[..<schemeEnd.upperBound] + "***" + rest[at...]
    }

    /// `15m`, `2h` or a bare number of minutes; 1 to 120 minutes (a QR code is never valid longer than 2 h).
    mutating func qrTimeout(_ key: String, default fallback: QRTimeout) -> QRTimeout {
        guard let text = string(key)?.lowercased() else { return fallback }
        var number = Substring(text)
        var factor = 1
        if number.hasSuffix("m") { number = number.dropLast() } else if number.hasSuffix("h") {
            number = number.dropLast()
            factor = 60
        }
        guard let value = Int(number), (1...120).contains(value * factor) else {
            problems.append("\(key) must be a QR validity from 1m to 120m (e.g. 15m or 2h), not '\(text)'")
            return fallback
        }
        return QRTimeout(minutes: value * factor)
    }
}

import Foundation
