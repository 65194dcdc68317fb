/// Text rules the legacy service applied to client strings, with .NET semantics.
public enum TextRules {
    /// Whether `scalar` is white space by .NET's `Char.IsWhiteSpace`.
    ///
    /// That is Unicode categories Zs, Zl and Zp plus U+0009–U+000D and U+0085. Only BMP characters
    /// qualify, so the UTF-16 view of .NET and the scalar view here agree.
    public static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Whether the text is empty or white space only — what `[Required]` treated as missing.
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(isWhiteSpace)
    }

    /// The length `[MaxLength]` measured: UTF-16 code units (an emoji counts 2).
    public static func utf16Length(_ text: String) -> Int {
        text.utf16.count
    }

    /// The text without leading and trailing .NET white space (`String.Trim()`).
    public static func trimmingWhiteSpace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhiteSpace($0) }),
              let last = scalars.lastIndex(where: { !isWhiteSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
