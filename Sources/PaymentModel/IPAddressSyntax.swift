/// Textual IP address checks with the semantics of glibc's `inet_pton`, written in Swift.
///
/// IPv4 is exactly four dotted decimal octets 0…255 **without leading zeros** (`01.2.3.4` is refused,
/// so there is no octal/decimal ambiguity as with `inet_aton`); no shorthand forms (`10.1`), no
/// spaces. IPv6 is up to eight groups of 1–4 hex digits (either case), at most one `::` standing for
/// one or more zero groups, optionally ending in an embedded dotted IPv4 address that follows the
/// IPv4 rules. Zone ids (`%eth0`), brackets, prefixes (`/64`) and surrounding spaces are refused.
public enum IPAddressSyntax {
    /// Whether `text` is an IPv4 or an IPv6 address.
    public static func isValid(_ text: String) -> Bool {
        isIPv4(text) || isIPv6(text)
    }

    /// Whether `text` is a dotted-quad IPv4 address (`inet_pton(AF_INET)`).
    public static func isIPv4(_ text: String) -> Bool {
        ipv4Octets(Array(text.utf8)[...]) != nil
    }

    /// Whether `text` is an IPv6 address (`inet_pton(AF_INET6)`).
    public static func isIPv6(_ text: String) -> Bool {
        ipv6Bytes(Array(text.utf8)) != nil
    }

    /// The four octets of a dotted quad, or nil.
    static func ipv4Octets(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var octets: [UInt8] = []
        var current = 0
        var sawDigit = false
        for byte in bytes {
            if let digit = DecimalGrammar.digitValue(byte) {
                // A second digit after a leading zero is refused, as inet_pton does.
                if sawDigit, current == 0 { return nil }
                current = current * 10 + Int(digit)
                if current > 255 { return nil }
                if !sawDigit {
                    guard octets.count < 4 else { return nil }
                    sawDigit = true
                }
            } else if byte == UInt8(ascii: "."), sawDigit {
                guard octets.count < 3 else { return nil }
                octets.append(UInt8(current))
                current = 0
                sawDigit = false
            } else {
                return nil
            }
        }
        guard sawDigit, octets.count == 3 else { return nil }
        return octets + [UInt8(current)]
    }

    /// The sixteen bytes of an IPv6 address, or nil.
    static func ipv6Bytes(_ bytes: [UInt8]) -> [UInt8]? {
        var result: [UInt8] = []
        var gapIndex: Int? = nil
        var index = 0
        if bytes.first == UInt8(ascii: ":") {
            // A leading colon must be the start of "::".
            guard bytes.count > 1, bytes[1] == UInt8(ascii: ":") else { return nil }
            index = 1
        }
        var tokenStart = index
        var value = 0
        var hexDigits = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if let nibble = hexValue(byte) {
                hexDigits += 1
                guard hexDigits <= 4 else { return nil }
                value = value << 4 | nibble
                continue
            }
            if byte == UInt8(ascii: ":") {
                tokenStart = index
                if hexDigits == 0 {
                    guard gapIndex == nil else { return nil }
                    gapIndex = result.count
                    continue
                }
                // A group may not end the text with a single colon.
                guard index < bytes.count, result.count + 2 <= 16 else { return nil }
                result += [UInt8(value >> 8), UInt8(value & 0xFF)]
                value = 0
                hexDigits = 0
                continue
            }
            if byte == UInt8(ascii: "."), result.count + 4 <= 16,
               let octets = ipv4Octets(bytes[tokenStart...]) {
                result += octets
                hexDigits = 0
                index = bytes.count
                break
            }
            return nil
        }
        if hexDigits > 0 {
            guard result.count + 2 <= 16 else { return nil }
            result += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        if let gap = gapIndex {
            // "::" must stand for at least one zero group.
            guard result.count < 16 else { return nil }
            result.insert(contentsOf: [UInt8](repeating: 0, count: 16 - result.count), at: gap)
        }
        return result.count == 16 ? result : nil
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
