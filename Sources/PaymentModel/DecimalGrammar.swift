/// Parsers that read client amount text exactly, each following one of the legacy service's grammars.
///
/// All work on ASCII bytes and fail on anything else. None allocates in proportion to an exponent's
/// value: exponent digits saturate (see `ExactDecimal.exponentLimit`).
public enum DecimalGrammar {
    /// A JSON number token: `-? digits [. digits] [e|E [+|-] digits]`.
    ///
    /// Leading zeros are tolerated here (the JSON reader enforces the strict token syntax before this
    /// is called), which also makes this the fallback Json.NET 12+ used for numeric strings.
    public static func jsonNumber(_ text: String) -> ExactDecimal? {
        var scanner = Scanner(bytes: Array(text.utf8))
        let negative = scanner.take(UInt8(ascii: "-"))
        let integer = scanner.digitRun()
        var fraction: [UInt8] = []
        if scanner.take(UInt8(ascii: ".")) {
            fraction = scanner.digitRun()
            guard !fraction.isEmpty else { return nil }
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = 0
        if scanner.take(UInt8(ascii: "e")) || scanner.take(UInt8(ascii: "E")) {
            guard let value = scanner.signedExponent() else { return nil }
            exponent = value
        }
        guard scanner.atEnd else { return nil }
        return ExactDecimal(isNegative: negative, integerDigits: integer, fractionDigits: fraction, exponent: exponent)
    }

    /// .NET `NumberStyles.Number`, invariant culture — how Json.NET read a numeric JSON string.
    ///
    /// Surrounding white space (U+0009–U+000D, space), one leading or trailing `+`/`-`, `,` group
    /// separators after the first digit and before the point, one `.`. No exponent.
    public static func numberStyle(_ text: String) -> ExactDecimal? {
        parseDotNet(Array(text.utf8), style: .number)
    }

    /// .NET `NumberStyles.Float`, invariant culture — how form values and the new service's XML text are read.
    ///
    /// Surrounding white space, one leading sign, one `.`, an exponent (`5e2` = 500, `1.5E-1` = 0.15).
    /// No group separators, no trailing sign.
    public static func floatStyle(_ text: String) -> ExactDecimal? {
        parseDotNet(Array(text.utf8), style: .float)
    }

    /// The subset of `System.Globalization.NumberStyles` the service needs.
    struct Style {
        var allowTrailingSign: Bool
        var allowThousands: Bool
        var allowExponent: Bool
        static let number = Style(allowTrailingSign: true, allowThousands: true, allowExponent: false)
        static let float = Style(allowTrailingSign: false, allowThousands: false, allowExponent: true)
    }

    /// The .NET `Number.ParseNumber` state machine, restricted to the invariant culture.
    static func parseDotNet(_ bytes: [UInt8], style: Style) -> ExactDecimal? {
        var scanner = Scanner(bytes: bytes)
        var sign: Bool? = nil
        // Leading part: white space, then at most one sign; no white space after the sign
        // (invariant culture's negative pattern "-n").
        while let byte = scanner.peek {
            if sign == nil, isDotNetNumberWhite(byte) {
                scanner.advance()
            } else if sign == nil, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                sign = byte == UInt8(ascii: "-")
                scanner.advance()
            } else {
                break
            }
        }
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var sawDigit = false
        var sawPoint = false
        while let byte = scanner.peek {
            if let digit = digitValue(byte) {
                sawDigit = true
                if sawPoint { fraction.append(digit) } else { integer.append(digit) }
            } else if !sawPoint, byte == UInt8(ascii: ".") {
                sawPoint = true
            } else if style.allowThousands, sawDigit, !sawPoint, byte == UInt8(ascii: ",") {
                // .NET accepts group separators anywhere after the first digit, without checking group sizes.
            } else {
                break
            }
            scanner.advance()
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if style.allowExponent, let byte = scanner.peek, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            let mark = scanner.position
            scanner.advance()
            if let value = scanner.signedExponent() {
                exponent = value
            } else {
                // An `e` without digits is not part of the number; the trailing check then fails on it.
                scanner.position = mark
            }
        }
        while let byte = scanner.peek {
            if isDotNetNumberWhite(byte) {
                scanner.advance()
            } else if style.allowTrailingSign, sign == nil, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                sign = byte == UInt8(ascii: "-")
                scanner.advance()
            } else {
                break
            }
        }
        guard scanner.atEnd else { return nil }
        return ExactDecimal(isNegative: sign ?? false, integerDigits: integer, fractionDigits: fraction, exponent: exponent)
    }

    /// White space as .NET number parsing knows it: U+0009–U+000D and space.
    static func isDotNetNumberWhite(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    static func digitValue(_ byte: UInt8) -> UInt8? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? byte - UInt8(ascii: "0") : nil
    }

    /// A cursor over ASCII bytes.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }
        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func advance() { position += 1 }

        /// Consumes `byte` when it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        /// Consumes a run of digits and returns their values.
        mutating func digitRun() -> [UInt8] {
            var run: [UInt8] = []
            while let byte = peek, let digit = digitValue(byte) {
                run.append(digit)
                position += 1
            }
            return run
        }

        /// Consumes `[+|-] digits` and returns the saturated value, or nil (consuming nothing useful) without digits.
        mutating func signedExponent() -> Int? {
            var negative = false
            if take(UInt8(ascii: "+")) {
            } else if take(UInt8(ascii: "-")) {
                negative = true
            }
            var value = 0
            var sawDigit = false
            while let byte = peek, let digit = digitValue(byte) {
                sawDigit = true
                if value < ExactDecimal.exponentLimit { value = value * 10 + Int(digit) }
                position += 1
            }
            guard sawDigit else { return nil }
            return ExactDecimal.saturate(negative ? -value : value)
        }
    }
}
