/// An exact amount of Chinese yuan, held as a whole number of fen (0.01 yuan).
///
/// Money never passes through floating point. Text is parsed digit by digit, and an amount that
/// cannot be held exactly in fen (more than two significant decimals) is refused, never rounded.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount in fen.
    public let fen: Int64

    /// The largest amount one Alipay trade may carry: 100,000,000.00 yuan.
    public static let alipayMaximum = Money(fen: 10_000_000_000)

    public init(fen: Int64) {
        self.fen = fen
    }

    /// Parses plain decimal text such as `88.88`, `5`, `5.1`, `5.10` or `-3.00`.
    ///
    /// Trailing zeros after the second decimal are accepted (`5.100` is 5.10); a non-zero third
    /// decimal makes the value unrepresentable and the result `nil`. No exponent, no separators,
    /// no surrounding spaces: callers normalise client input first.
    public init?(exactly text: String) {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        var fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
              whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || !fraction.isEmpty || !whole.isEmpty
        else { return nil }
        // Constant time per zero: ASCII digits only (checked above), so UTF-8 bytes count characters, and the
        // slice is cut at an index (`dropLast()` on a Substring counts it whole each time).
        while fraction.utf8.count > 2, fraction.last == "0" { fraction = fraction[..<fraction.index(before: fraction.endIndex)] }
        guard fraction.count <= 2 else { return nil }
        let trimmedWhole = whole.drop(while: { $0 == "0" })
        guard trimmedWhole.count <= 15 else { return nil }
        let wholeValue = Int64(trimmedWhole.isEmpty ? "0" : String(trimmedWhole)) ?? 0
        let paddedFraction = String(fraction) + String(repeating: "0", count: 2 - fraction.count)
        let fractionValue = Int64(paddedFraction) ?? 0
        let magnitude = wholeValue * 100 + fractionValue
        self.fen = negative ? -magnitude : magnitude
    }

    /// The amount with exactly two decimals, as Alipay and the database expect: `88.88`, `5.00`.
    public var description: String {
        let magnitude = fen.magnitude
        let whole = magnitude / 100
        let cents = magnitude % 100
        let sign = fen < 0 ? "-" : ""
        return "\(sign)\(whole).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        lhs.fen < rhs.fen
    }
}
