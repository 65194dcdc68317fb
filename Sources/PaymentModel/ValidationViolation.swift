/// One broken rule in a request body: the member and a message in the .NET DataAnnotations style.
public struct ValidationViolation: Sendable, Hashable, CustomStringConvertible {
    /// The member name as the contract spells it (`billnum`).
    public let field: String
    /// The cashier-facing English message (`The billnum field is required.`).
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }

    /// `[Required]`'s message.
    public static func required(_ field: String) -> ValidationViolation {
        ValidationViolation(field: field, message: "The \(field) field is required.")
    }

    /// `[MaxLength(n)]`'s message.
    public static func maxLength(_ field: String, _ limit: Int) -> ValidationViolation {
        ValidationViolation(
            field: field,
            message: "The field \(field) must be a string or array type with a maximum length of '\(limit)'."
        )
    }
}
