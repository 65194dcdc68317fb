import BSON

/// Writes an envelope as Json.NET's BsonWriter did: one plain document, members in JSON's order — errcode
/// int32, errmsg string or null, tag an embedded document of strings and nulls, or null.
enum BSONEnvelopeWriter {
    static func write<Tag>(_ envelope: Envelope<Tag>) -> [UInt8] {
        let tag = envelope.tag.map { tag in BSONValue.document(tag.members.map { BSONMember($0.name, string($0.value)) }) }
        return BSONWriter.document([
            BSONMember("errcode", .int32(Int32(clamping: envelope.errcode))),
            BSONMember("errmsg", string(envelope.errmsg)),
            BSONMember("tag", tag ?? .null),
        ])
    }

    private static func string(_ value: String?) -> BSONValue {
        value.map(BSONValue.string) ?? .null
    }
}
