/// One media type from a `Content-Type` or `Accept` header, parsed as .NET's `MediaTypeHeaderValue` did.
///
/// Grammar: `token "/" token *( ";" token [ "=" ( token / quoted-string ) ] )`, optional white space
/// (space, tab) around every separator. Type and subtype compare case-insensitively and are kept
/// lower-cased; parameter names are lower-cased, values kept as written (quotes removed).
public struct MediaType: Sendable, Hashable, CustomStringConvertible {
    /// The type, lower-cased (`application`, `text`, `*`).
    public let type: String
    /// The subtype, lower-cased (`json`, `*`).
    public let subtype: String
    /// Parameters in header order: lower-cased name, unquoted value (nil for a bare name).
    public let parameters: [Parameter]

    /// One `name[=value]` parameter.
    public struct Parameter: Sendable, Hashable {
        public let name: String
        public let value: String?
    }

    public init(type: String, subtype: String, parameters: [Parameter] = []) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Parses a single media type (a `Content-Type` value); nil when any part is invalid.
    public init?(parsing text: String) {
        var cursor = HeaderCursor(text)
        cursor.skipWhiteSpace()
        guard let parsed = cursor.mediaType(), cursor.skipWhiteSpace(), cursor.atEnd else { return nil }
        self = parsed
    }

    /// Parses a comma-separated list (an `Accept` value); nil when **any** element is invalid, as .NET
    /// then discarded the whole header. Empty elements (`a/b,,c/d`) are skipped.
    public static func parseList(_ text: String) -> [MediaType]? {
        var cursor = HeaderCursor(text)
        var result: [MediaType] = []
        while true {
            while cursor.skipWhiteSpace(), cursor.take(",") {}
            if cursor.atEnd { return result }
            guard let element = cursor.mediaType() else { return nil }
            result.append(element)
            cursor.skipWhiteSpace()
            if cursor.atEnd { return result }
            guard cursor.take(",") else { return nil }
        }
    }

    /// `type/subtype` without parameters.
    public var essence: String { "\(type)/\(subtype)" }

    /// The value of parameter `name` (case-insensitive), first occurrence.
    public func parameter(_ name: String) -> String? {
        let wanted = name.lowercased()
        return parameters.first(where: { $0.name == wanted })?.value
    }

    /// The `charset` parameter, if any.
    public var charset: String? { parameter("charset") }

    /// The quality factor: `q` read as .NET did (digits and one `.`, no range check); nil when absent or unreadable.
    public var quality: Double? {
        guard let text = parameter("q"), !text.isEmpty,
              text.allSatisfy({ $0 == "." || ("0"..."9").contains($0) }),
              text.filter({ $0 == "." }).count <= 1, text != "."
        else { return nil }
        return Double("0" + text + (text.hasSuffix(".") ? "0" : ""))
    }

    /// Whether this is `*/*`.
    public var isAllRange: Bool { type == "*" && subtype == "*" }
    /// Whether this is `type/*` (including `*/*`).
    public var isSubtypeRange: Bool { subtype == "*" }

    /// How a concrete type matched a range: the Accept entry's kind.
    enum RangeKind: Int, Comparable {
        case literal, subtypeRange, allRange
        static func < (lhs: RangeKind, rhs: RangeKind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Whether the concrete `self` is covered by `range` (.NET `IsSubsetOf`), and by which kind of entry.
    func covered(by range: MediaType) -> RangeKind? {
        let kind: RangeKind = range.isAllRange ? .allRange : range.isSubtypeRange ? .subtypeRange : .literal
        if type != range.type {
            return kind == .allRange ? kind : nil
        }
        if subtype != range.subtype {
            return kind == .subtypeRange ? kind : nil
        }
        return kind
    }

    public var description: String {
        let parts = parameters.map { parameter in parameter.value.map { "\(parameter.name)=\($0)" } ?? parameter.name }
        return ([essence] + parts).joined(separator: "; ")
    }
}
