import JSON
import PaymentModel

/// The string fields of a verified response node.
struct AlipayReplyFields {
    private let values: [String: String]

    /// Parses the (already verified) node bytes; only string members are kept.
    init(node: [UInt8]) throws(AlipayError) {
        guard case .object(let members)? = try? JSONParser.parse(node) else {
            throw .malformedResponse("response node is not a JSON object")
        }
        var values: [String: String] = [:]
        for (name, value) in members {
            if case .string(let text) = value { values[name] = text }
        }
        self.values = values
    }

    /// A field; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A field that must be present.
    func required(_ name: String) throws(AlipayError) -> String {
        guard let value = self[name] else { throw .malformedResponse("\(name) missing") }
        return value
    }

    /// An amount field (yuan with two decimals); nil when absent, malformed when not exact.
    func money(_ name: String) throws(AlipayError) -> Money? {
        guard let text = self[name] else { return nil }
        guard let amount = Money(exactly: text) else { throw .malformedResponse("\(name) is not an amount") }
        return amount
    }

    /// A `Y`/`N` flag; absent counts as `N`.
    func flag(_ name: String) -> Bool {
        self[name] == "Y"
    }
}
