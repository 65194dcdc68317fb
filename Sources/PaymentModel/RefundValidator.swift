/// The members of a refund request that say what to refund, as received (which payment is read separately, like
/// Query's `billnum` + `billtype` or `autoid`).
public struct RefundFields: Sendable, Hashable {
    public var refundno: String?
    public var refundvalue: RawAmount?
    public var reason: String?

    public init(refundno: String? = nil, refundvalue: RawAmount? = nil, reason: String? = nil) {
        self.refundno = refundno
        self.refundvalue = refundvalue
        self.reason = reason
    }
}

/// A refund's validated amount and number.
public struct RefundTerms: Sendable, Hashable {
    /// The merchant's number for the refund (1…32 UTF-16 units, not blank): its idempotency key.
    public let refundno: String
    /// Positive, whole fen, at most `Money.alipayMaximum`; never rounded.
    public let amount: Money
    /// At most 256 UTF-16 units; nil when absent or empty.
    public let reason: String?
}

/// The refund request rules, in the order violations are reported: refundno required, at most 32; refundvalue
/// required, a number, greater than 0, at most 2 decimals, at most 100000000.00; reason optional, at most 256.
public enum RefundValidator {
    public static func validate(_ fields: RefundFields) -> Result<RefundTerms, ServiceError> {
        var found = ScanCodeValidator.text("refundno", fields.refundno, required: true, maxLength: 32)
        found += AmountRules.violations(fields.refundvalue, field: "refundvalue", maximum: .alipayMaximum)
        found += ScanCodeValidator.text("reason", fields.reason, required: false, maxLength: 256)
        guard found.isEmpty, let refundno = fields.refundno,
              let decimal = fields.refundvalue?.parsed(), let amount = Money(exactly: decimal)
        else {
            return .failure(.validationFailed(found.isEmpty ? [.required("refundvalue")] : found))
        }
        return .success(RefundTerms(refundno: refundno, amount: amount, reason: ScanCodeValidator.presence(fields.reason)))
    }
}
