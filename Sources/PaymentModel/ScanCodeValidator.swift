/// The ScanCode request rules: the help page's attributes plus the service's own checks.
///
/// Rules, in the order violations are reported:
/// - billnum: required, at most 20 UTF-16 units.
/// - billtype: required, one of "1"…"7".
/// - body: required.
/// - paytype: required, at most 2 UTF-16 units.
/// - paymentvalue: required, a number, greater than 0, at most 2 decimal places (trailing zeros do
///   not count: 5.100 is 5.10), at most 100000000.00 (Alipay's limit). Never rounded.
/// - detail: optional, free text.
/// - clientip: optional; when given, an IPv4 or IPv6 address (`IPAddressSyntax`).
/// - cardno: at most 20 UTF-16 units; required when billtype is "7".
///
/// "Required" fails for nil, "" and white space only (.NET `Char.IsWhiteSpace`). An empty optional
/// member is treated as absent. Values are never trimmed.
public enum ScanCodeValidator {
    /// The validated request, or `.validationFailed` listing every violation (errmsg = the first).
    public static func validate(_ fields: ScanCodeFields) -> Result<ScanCodeRequest, ServiceError> {
        let found = violations(in: fields)
        guard found.isEmpty,
              let billnum = fields.billnum, let body = fields.body, let paytype = fields.paytype,
              let billtype = fields.billtype.flatMap(BillType.init(rawValue:)),
              let decimal = fields.paymentvalue?.parsed(), let amount = Money(exactly: decimal)
        else {
            // `violations` passing implies every unwrap above succeeds; should the two ever disagree,
            // the request is still refused rather than trusted.
            return .failure(.validationFailed(found.isEmpty ? [.required("paymentvalue")] : found))
        }
        return .success(
            ScanCodeRequest(
                billnum: billnum, billtype: billtype, body: body, paytype: paytype, paymentvalue: amount,
                detail: presence(fields.detail), clientip: presence(fields.clientip), cardno: presence(fields.cardno)
            )
        )
    }

    /// Every broken rule, in member order.
    public static func violations(in fields: ScanCodeFields) -> [ValidationViolation] {
        var found: [ValidationViolation] = []
        found += text("billnum", fields.billnum, required: true, maxLength: 20)
        found += billtype(fields.billtype)
        // body and detail carry no MaxLength in the original contract; these bounds are the payment
        // record's column sizes, checked here so that the answer names the field (UTF-16 units are
        // never fewer than the characters the database counts).
        found += text("body", fields.body, required: true, maxLength: 512)
        found += text("paytype", fields.paytype, required: true, maxLength: 2)
        found += AmountRules.violations(fields.paymentvalue, field: "paymentvalue", maximum: .alipayMaximum)
        found += text("detail", fields.detail, required: false, maxLength: 2000)
        found += clientip(fields.clientip)
        let cardRequired = fields.billtype == BillType.storedValueCardRecharge.rawValue
        found += cardno(fields.cardno, required: cardRequired)
        return found
    }

    /// The billnum when it keeps its own rule (present, not blank, at most 20 UTF-16 units), so an answer
    /// may echo it; nil when the request names no usable bill — its answer then has a null tag.
    public static func knownBillnum(_ fields: ScanCodeFields) -> String? {
        guard let billnum = fields.billnum, text("billnum", billnum, required: true, maxLength: 20).isEmpty else { return nil }
        return billnum
    }

    /// `[Required]` and `[MaxLength]` on a string member.
    static func text(_ field: String, _ value: String?, required: Bool, maxLength: Int?) -> [ValidationViolation] {
        guard let value, !TextRules.isBlank(value) else {
            return required ? [.required(field)] : []
        }
        if let maxLength, TextRules.utf16Length(value) > maxLength {
            return [.maxLength(field, maxLength)]
        }
        return []
    }

    static func billtype(_ value: String?) -> [ValidationViolation] {
        guard let value, !TextRules.isBlank(value) else { return [.required("billtype")] }
        guard BillType(rawValue: value) == nil else { return [] }
        return [
            ValidationViolation(
                field: "billtype",
                message: "The field billtype must be one of 1-7 (1 scenic area, 2 POS, 3 car rental, "
                    + "4 eco-vehicle, 5 equipment rental, 6 joint retail, 7 stored-value card recharge)."
            )
        ]
    }

    static func clientip(_ value: String?) -> [ValidationViolation] {
        guard let value, !value.isEmpty, !IPAddressSyntax.isValid(value) else { return [] }
        return [ValidationViolation(field: "clientip", message: "The field clientip must be an IPv4 or IPv6 address.")]
    }

    static func cardno(_ value: String?, required: Bool) -> [ValidationViolation] {
        if required, value.map(TextRules.isBlank) ?? true {
            return [
                ValidationViolation(
                    field: "cardno",
                    message: "The cardno field is required for billtype 7 (stored-value card recharge)."
                )
            ]
        }
        return text("cardno", value, required: false, maxLength: 20)
    }

    /// nil for an absent or empty optional member.
    static func presence(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
