/// A JSON value, parsed (`JSONParser`) or built to be written (`JSONWriter`). Number literals stay as written,
/// so amounts never pass through floating point; object members keep their order.
public enum JSONNode: Sendable, Equatable {
    case string(String)
    /// The number exactly as it appeared in the text, e.g. `88.88` or `1e3`.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONNode])
    /// Members in text order; the strict parser refuses duplicate names.
    case object([(String, JSONNode)])

    public static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member named `name` when this is an object.
    public subscript(name: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// The text of a string, or the literal of a number; nil for anything else.
    public var scalarText: String? {
        switch self {
        case .string(let text), .number(let text): return text
        default: return nil
        }
    }
}
