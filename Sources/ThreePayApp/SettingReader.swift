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

    /// The nodes of a Galera cluster: `THREEPAY_DB_SOCKETS` (socket paths) or `THREEPAY_DB_HOSTS` (`host`,
    /// `host:port` or `[v6 address]:port`; the port defaults to THREEPAY_DB_PORT), comma-separated, in the order
    /// the service tries them. Empty when neither is set. One server is named one way only: a list together with
    /// another list, THREEPAY_DB_HOST or THREEPAY_DB_SOCKET is a problem.
    mutating func databaseNodes(defaultPort: Int) -> [DatabaseSettings.Node] {
        let sockets = string("THREEPAY_DB_SOCKETS")
        let hosts = string("THREEPAY_DB_HOSTS")
        guard sockets != nil || hosts != nil else { return [] }
        let named = ["THREEPAY_DB_SOCKETS", "THREEPAY_DB_HOSTS", "THREEPAY_DB_SOCKET", "THREEPAY_DB_HOST"]
            .filter { string($0) != nil }
        guard named.count == 1 else {
            problems.append("\(named.joined(separator: " and ")) are all set: name the database one way (a cluster: THREEPAY_DB_SOCKETS or THREEPAY_DB_HOSTS alone)")
            return []
        }
        let items = (sockets ?? hosts ?? "").split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.contains(where: \.isEmpty) else {
            problems.append("\(named[0]) must be a comma-separated list without empty entries")
            return []
        }
        if sockets != nil { return items.map(DatabaseSettings.Node.socket) }
        var nodes: [DatabaseSettings.Node] = []
        for item in items {
            guard let node = Self.hostNode(item, defaultPort: defaultPort) else {
                problems.append("THREEPAY_DB_HOSTS entry '\(item)' must be host, host:port or [address]:port (port 1 to 65535)")
                return []
            }
            nodes.append(node)
        }
        return nodes
    }

    private static func hostNode(_ text: String, defaultPort: Int) -> DatabaseSettings.Node? {
        var name = Substring(text)
        var portText: Substring?
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return nil }
            let rest = name[name.index(after: close)...]
            name = name[name.index(after: name.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = name.firstIndex(of: ":") {
            portText = name[name.index(after: colon)...]
            name = name[..<colon]
        }
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "/" || $0 == ":" && !text.hasPrefix("[") })
        else { return nil }
        var port = defaultPort
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { return nil }
            port = number
        }
        return .host(String(name), port: port)
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
import PaymentStore
