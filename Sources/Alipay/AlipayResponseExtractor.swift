import JSON

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
    /// Rejected as malformed: a body that is not one strict JSON object (the strict reader also refuses any
    /// repeated member name, at any depth); no node, or both node kinds; a node that is not an object; the
    /// node's quoted name appearing again anywhere after the node (injection guard); a `sign` that is not a string.
    public static func extract(body: [UInt8], method: String) throws(AlipayError) -> AlipayResponseNode {
        let root: [JSONMember]?
        do { root = try JSONParser.rootMembers(body) } catch {
            throw .malformedResponse(error.description)
        }
        guard let members = root else { throw .malformedResponse("the reply is not a JSON object") }
        let wanted = nodeName(forMethod: method)
        let nodes = members.filter { $0.name == wanted || $0.name == errorNodeName }
        guard nodes.count == 1, let node = nodes.first else {
            throw .malformedResponse(nodes.isEmpty ? "no \(wanted) node" : "both \(wanted) and \(errorNodeName)")
        }
        guard case .object = node.value else {
            throw .malformedResponse("\(node.name) is not a JSON object")
        }
        if contains(body[node.valueBytes.upperBound...], Array("\"\(node.name)\"".utf8)) {
            throw .malformedResponse("\(node.name) appears again after the node")
        }
        return AlipayResponseNode(name: node.name, bytes: Array(body[node.valueBytes]), sign: try sign(in: members))
    }

    private static func sign(in members: [JSONMember]) throws(AlipayError) -> String? {
        guard let member = members.first(where: { $0.name == "sign" }) else { return nil }
        guard case .string(let sign) = member.value else { throw .malformedResponse("sign is not a string") }
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
}
