import JSON

/// Writes an envelope as Json.NET did: declaration order, no white space, nulls written, Json.NET's string
/// escaping (`JSONWriter`, with `/` left raw).
enum JSONEnvelopeWriter {
    static func write<Tag>(_ envelope: Envelope<Tag>) -> [UInt8] {
        let tag = envelope.tag.map { tag in JSONNode.object(tag.members.map { ($0.name, string($0.value)) }) }
        let root = JSONNode.object([
            ("errcode", .number(String(envelope.errcode))), ("errmsg", string(envelope.errmsg)), ("tag", tag ?? .null),
        ])
        return JSONWriter.bytes(root, escapingSlashes: false)
    }

    private static func string(_ value: String?) -> JSONNode {
        value.map(JSONNode.string) ?? .null
    }
}
