/// An amount exactly as the client sent it, before any parsing.
public struct RawAmount: Sendable, Hashable {
    /// Where the text came from; decides which grammar reads it.
    public enum Source: Sendable, Hashable {
        /// A JSON number token; `text` is the token itself (read exactly).
        case jsonNumber
        /// A JSON string; read with `NumberStyles.Number`, then JSON number syntax (Json.NET 12+).
        case jsonString
        /// A JSON or BSON `true`/`false`; never an amount.
        case boolean
        /// A form value; trimmed, then read with `NumberStyles.Float`.
        case formValue
        /// XML element text; trimmed, then read with `NumberStyles.Float` (more lenient than the old XML reader).
        case xmlText
        /// A BSON int32 or int64 in decimal, or a BSON double as `DotNetDouble.text` writes it (15 significant
        /// digits, as .NET's `Convert.ToDecimal(double)` kept); read like a JSON number.
        case bsonNumber
        /// A BSON string; read like a JSON string.
        case bsonString
    }

    /// The text received: token text, string content, `True`/`False`, element text, or a BSON number's text.
    public let text: String
    public let source: Source

    public init(text: String, source: Source) {
        self.text = text
        self.source = source
    }

    /// Whether the amount counts as missing: blank text (`""`, `" "`) other than a JSON literal.
    public var isBlank: Bool {
        source != .boolean && TextRules.isBlank(text)
    }

    /// The exact number the text denotes under its source's grammar, or nil when it is not a number.
    public func parsed() -> ExactDecimal? {
        switch source {
        case .jsonNumber, .bsonNumber:
            return DecimalGrammar.jsonNumber(text)
        case .jsonString, .bsonString:
            return DecimalGrammar.numberStyle(text) ?? DecimalGrammar.jsonNumber(text)
        case .boolean:
            return nil
        case .formValue, .xmlText:
            return DecimalGrammar.floatStyle(TextRules.trimmingWhiteSpace(text))
        }
    }
}
