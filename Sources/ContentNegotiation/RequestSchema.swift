/// What a request body may hold: its member names and its DataContract XML root.
public struct RequestSchema: Sendable, Hashable {
    /// The XML root's local name (`AliScanCodeParm`).
    public let xmlRootName: String
    /// The XML DataContract namespace; the root and members may also use no namespace.
    public let xmlNamespace: String
    /// Member names exactly as the contract spells them, in declaration order.
    public let memberNames: [String]

    public init(xmlRootName: String, xmlNamespace: String, memberNames: [String]) {
        self.xmlRootName = xmlRootName
        self.xmlNamespace = xmlNamespace
        self.memberNames = memberNames
    }

    /// The contract member `name` binds to in JSON (exact match first, then ASCII case-insensitive).
    func jsonMember(for name: String) -> String? {
        if memberNames.contains(name) { return name }
        return formMember(for: name)
    }

    /// The contract member a form key binds to (ASCII case-insensitive).
    func formMember(for key: String) -> String? {
        memberNames.first { name in
            name.utf8.count == key.utf8.count && zip(name.utf8, key.utf8).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
        }
    }

    /// Lower-cases A–Z only: .NET's OrdinalIgnoreCase on these ASCII member names.
    private func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}

/// One member value as a body carried it.
public enum FieldValue: Sendable, Hashable {
    /// Text: a JSON or BSON string, an XML element's text, or a form value (non-blank).
    case text(String)
    /// A number as decimal text: a JSON number's exact token, or a BSON int32/int64 in decimal or double
    /// as .NET wrote it (`DotNetDouble.text`).
    case number(String)
    /// A JSON or BSON `true` / `false`.
    case boolean(Bool)

    /// The value as a string member receives it (a number's text; `True`/`False` as .NET wrote booleans).
    public var stringValue: String {
        switch self {
        case let .text(text): return text
        case let .number(text): return text
        case let .boolean(flag): return flag ? "True" : "False"
        }
    }
}

/// A decoded body: the format it came in and each contract member's value (absent or null = no entry).
public struct DecodedFields: Sendable, Hashable {
    public let format: RequestFormat
    public let values: [String: FieldValue]

    public init(format: RequestFormat, values: [String: FieldValue]) {
        self.format = format
        self.values = values
    }

    /// The member as a string (nil when absent or null).
    public func string(_ member: String) -> String? {
        values[member]?.stringValue
    }
}
