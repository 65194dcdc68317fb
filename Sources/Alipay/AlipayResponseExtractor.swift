/// The raw response node of a gateway reply and the signature that covers it.
public struct AlipayResponseNode: Sendable, Equatable {
    /// The member that held the node: `<method_with_underscores>_response` or `error_response`.
    public let name: String
    /// The node's exact bytes as received, from its `{` to the matching `}` (escapes such as `\/` kept).
    public let bytes: [UInt8]
    /// The decoded top-level `sign` value; nil when absent or empty.
    public let sign: String?

    /// The node bytes as text (UTF-8).
    public var text: String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// True for a gateway-level `error_response` node.
    public var isErrorResponse: Bool {
        name == AlipayResponseExtractor.errorNodeName
    }
}

/// Cuts the signed node out of a gateway reply, before anything in it is trusted.
public enum AlipayResponseExtractor {
    /// Name of the node Alipay uses for gateway-level failures.
    public static let errorNodeName = "error_response"

    /// `alipay.trade.precreate` → `alipay_trade_precreate_response`.
    public static func nodeName(forMethod method: String) -> String {
        String(method.map { $0 == "." ? "_" : $0 }) + "_response"
    }

    /// Finds the `<method>_response` (or `error_response`) member of the top-level object and the
    /// `sign` member.
    ///
    /// Rejected as malformed: a body that is not one JSON object; no node, or both node kinds; a
    /// node that is not an object; any repeated member name; the node's quoted name appearing
    /// again anywhere after the node (injection guard); a `sign` that is not a string.
    public static func extract(body: [UInt8], method: String) throws(AlipayError) -> AlipayResponseNode {
        let members: [JSONMemberScanner.Member]
        do { members = try JSONMemberScanner.members(of: body) } catch {
            throw .malformedResponse(error.reason)
        }
        var seen = Set<String>()
        for member in members where !seen.insert(member.name).inserted {
            throw .malformedResponse("member \(printable(member.name)) appears twice")
        }
        let wanted = nodeName(forMethod: method)
        let nodes = members.filter { $0.name == wanted || $0.name == errorNodeName }
        guard nodes.count == 1, let node = nodes.first else {
            throw .malformedResponse(nodes.isEmpty ? "no \(wanted) node" : "both \(wanted) and \(errorNodeName)")
        }
        guard body[node.value.lowerBound] == UInt8(ascii: "{") else {
            throw .malformedResponse("\(node.name) is not a JSON object")
        }
        if contains(body[node.value.upperBound...], Array("\"\(node.name)\"".utf8)) {
            throw .malformedResponse("\(node.name) appears again after the node")
        }
        return AlipayResponseNode(name: node.name, bytes: Array(body[node.value]), sign: try sign(in: members, body))
    }

    private static func sign(in members: [JSONMemberScanner.Member], _ body: [UInt8]) throws(AlipayError) -> String? {
        guard let member = members.first(where: { $0.name == "sign" }) else { return nil }
        guard body[member.value.lowerBound] == UInt8(ascii: "\"") else {
            throw .malformedResponse("sign is not a string")
        }
        let sign: String
        do { sign = try JSONMemberScanner.decodeString(body[member.value]) } catch {
            throw .malformedResponse("sign is not a valid string")
        }
        return sign.isEmpty ? nil : sign
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        var start = haystack.startIndex
        while start + needle.count <= haystack.endIndex {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
            start += 1
        }
        return false
    }

    /// A member name for an error message: short, and only if it looks like a field name.
    private static func printable(_ name: String) -> String {
        let plain = name.count <= 64 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic
            || ("0"..."9").contains($0) || $0 == "_") }
        return plain ? name : "(unprintable name)"
    }
}
