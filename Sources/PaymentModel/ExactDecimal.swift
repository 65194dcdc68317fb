/// An exact decimal number, `digits × 10^exponent`, as read from client text.
///
/// Digits are kept as a digit string, so no precision is lost and nothing is rounded. The exponent
/// saturates at ±`exponentLimit`: an absurd exponent such as `1e999999999999` still compares as
/// "far too large" or "far too many decimals" without any work proportional to its value.
public struct ExactDecimal: Sendable, Hashable {
    /// The saturation bound of `exponent`.
    public static let exponentLimit = 1_000_000_000

    /// Whether the number is below zero (never true for zero).
    public let isNegative: Bool
    /// Significant digits (0…9), most significant first, without leading or trailing zeros; empty for zero.
    public let digits: [UInt8]
    /// The power of ten applied to `digits`.
    public let exponent: Int

    /// Builds a number from the digit runs of its text: `integer.fraction × 10^exponent`.
    ///
    /// - Parameters:
    ///   - integerDigits: digits before the decimal point (values 0…9).
    ///   - fractionDigits: digits after the decimal point (values 0…9).
    ///   - exponent: the written exponent, already saturated by the caller.
    public init(isNegative: Bool, integerDigits: [UInt8], fractionDigits: [UInt8], exponent: Int) {
        var all = integerDigits + fractionDigits
        var scale = ExactDecimal.saturate(exponent - fractionDigits.count)
        let leading = all.firstIndex(where: { $0 != 0 }) ?? all.count
        all.removeFirst(leading)
        let trailing = all.reversed().prefix(while: { $0 == 0 }).count
        all.removeLast(trailing)
        scale = ExactDecimal.saturate(scale + trailing)
        self.digits = all
        self.exponent = all.isEmpty ? 0 : scale
        self.isNegative = isNegative && !all.isEmpty
    }

    /// Whether the number is zero.
    public var isZero: Bool { digits.isEmpty }

    /// Decimal places needed to write the number exactly (`5.10` needs 1, `5` needs 0).
    public var decimalPlaces: Int { max(0, -exponent) }

    /// Digits before the decimal point once written out (`0.5` → 0, `123.4` → 3); saturated.
    public var integerDigitCount: Int { isZero ? 0 : max(0, ExactDecimal.saturate(digits.count + exponent)) }

    /// The number as a whole count of hundredths (fen), or nil when that is not exact or exceeds 15 integer digits.
    public var hundredths: Int64? {
        guard decimalPlaces <= 2, integerDigitCount <= 15 else { return nil }
        var value: Int64 = 0
        for digit in digits { value = value * 10 + Int64(digit) }
        for _ in 0..<(exponent + 2) { value *= 10 }
        return isNegative ? -value : value
    }

    /// Clamps an exponent into ±`exponentLimit`.
    static func saturate(_ value: Int) -> Int {
        min(max(value, -exponentLimit), exponentLimit)
    }
}

extension Money {
    /// The amount `decimal` denotes, or nil when it has more than two significant decimals or is out of range.
    public init?(exactly decimal: ExactDecimal) {
        guard let fen = decimal.hundredths else { return nil }
        self.init(fen: fen)
    }
}
