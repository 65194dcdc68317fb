/// The rules for a money member: present, a number, positive, whole fen, within a maximum.
public enum AmountRules {
    /// Every broken rule for `value`, in a fixed order (required / not a number, then > 0, decimals, maximum).
    public static func violations(_ value: RawAmount?, field: String, maximum: Money) -> [ValidationViolation] {
        guard let value, !value.isBlank else { return [.required(field)] }
        guard let number = value.parsed() else {
            let shown = ServiceError.excerpt(value.text)
            return [ValidationViolation(field: field, message: "The value '\(shown)' is not valid for \(field).")]
        }
        var found: [ValidationViolation] = []
        if number.isZero || number.isNegative {
            found.append(ValidationViolation(field: field, message: "The field \(field) must be greater than 0."))
        }
        if number.decimalPlaces > 2 {
            found.append(
                ValidationViolation(field: field, message: "The field \(field) must have at most 2 decimal places (whole fen).")
            )
        }
        if !number.isNegative, exceeds(number, maximum) {
            found.append(ValidationViolation(field: field, message: "The field \(field) must not exceed \(maximum)."))
        }
        return found
    }

    /// Whether `number` (non-negative) is above `maximum`, decided without building huge values.
    static func exceeds(_ number: ExactDecimal, _ maximum: Money) -> Bool {
        // More than 16 integer digits is above every Money. The rest is compared in whole fen;
        // digits below a fen can only tip the balance when the whole-fen parts are equal.
        guard number.integerDigitCount <= 16 else { return true }
        let shift = number.exponent + 2
        let wholeCount = max(0, number.digits.count + min(shift, 0))
        var fen: Int64 = 0
        for digit in number.digits.prefix(wholeCount) { fen = fen * 10 + Int64(digit) }
        for _ in 0..<max(shift, 0) { fen *= 10 }
        let belowFen = wholeCount < number.digits.count
        return fen > maximum.fen || (fen == maximum.fen && belowFen)
    }
}
