/// The rules for naming one bill in a Query or Cancel request: by `autoid`, or by `billtype` and `billnum`.
///
/// Every member given is checked, before anything is looked up, in this order: billnum at most 20 UTF-16
/// units (the record's column), billtype one of 1-7, autoid a positive whole number. Then autoid wins when
/// given; otherwise billnum and billtype are both required. Errmsgs name the field and never echo the value.
/// Blank members count as absent; autoid may carry surrounding white space.
public enum BillLookupRules {
    /// A valid way to name the bill.
    public enum Key: Sendable, Hashable {
        case autoid(Int64)
        case bill(billtype: BillType, billnum: String)
    }

    public static func validate(billnum: String?, billtype: String?, autoid: String?) -> Result<Key, ServiceError> {
        let billnum = present(billnum)
        let billtypeText = present(billtype)
        let autoidText = present(autoid).map(TextRules.trimmingWhiteSpace)
        if let billnum, TextRules.utf16Length(billnum) > 20 { return invalid(.maxLength("billnum", 20)) }
        let billtype = billtypeText.flatMap(BillType.init(rawValue:))
        if billtypeText != nil, billtype == nil { return invalid(billtypeViolation) }
        if let autoidText {
            guard let autoid = Int64(autoidText), autoid > 0 else {
                return invalid(ValidationViolation(field: "autoid", message: "The field autoid must be a positive whole number."))
            }
            return .success(.autoid(autoid))
        }
        guard let billnum else {
            return invalid(ValidationViolation(field: "billnum", message: "The billnum field is required (or give autoid)."))
        }
        guard let billtype else { return invalid(billtypeViolation) }
        return .success(.bill(billtype: billtype, billnum: billnum))
    }

    static let billtypeViolation = ValidationViolation(
        field: "billtype", message: "The field billtype must be one of 1-7 (or give autoid)."
    )

    private static func present(_ value: String?) -> String? {
        guard let value, !TextRules.isBlank(value) else { return nil }
        return value
    }

    private static func invalid(_ violation: ValidationViolation) -> Result<Key, ServiceError> {
        .failure(.validationFailed([violation]))
    }
}
