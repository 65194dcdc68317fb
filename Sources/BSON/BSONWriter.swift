internal import CBSON

/// Writes BSON documents with libbson's `bson_append_*` calls. Pointers stay in this file.
public enum BSONWriter {
    /// The bytes of one document holding `members` in order.
    ///
    /// `.unsupported` values cannot be written; passing one is a programming error.
    public static func document(_ members: [BSONMember]) -> [UInt8] {
        withDocument(members) { document in
            // The document's first four bytes are its length, little-endian (libbson keeps it current).
            let data = bson_get_data(document)!
            let length = (0..<4).reversed().reduce(0) { $0 << 8 | Int(data[$1]) }
            return Array(UnsafeBufferPointer(start: data, count: length))
        }
    }

    /// Builds a document on the heap, hands it to `body`, and frees it.
    private static func withDocument<R>(_ members: [BSONMember], _ body: (OpaquePointer) -> R) -> R {
        // bson_new aborts rather than return NULL when memory runs out.
        let document = bson_new()!
        defer { bson_destroy(document) }
        for member in members { append(member, to: document) }
        return body(document)
    }

    private static func append(_ member: BSONMember, to document: OpaquePointer) {
        let keyLength = Int32(member.name.utf8.count)
        let appended = member.name.withCString { key -> Bool in
            switch member.value {
            case .double(let value): return bson_append_double(document, key, keyLength, value)
            case .string(let value):
                // The explicit length keeps NUL characters; withCString never hands over a NULL pointer, which
                // libbson would write as a BSON null.
                return value.withCString { bson_append_utf8(document, key, keyLength, $0, Int32(value.utf8.count)) }
            case .document(let members):
                return withDocument(members) { bson_append_document(document, key, keyLength, $0) }
            case .array(let values):
                let members = values.enumerated().map { BSONMember(String($0.offset), $0.element) }
                return withDocument(members) { bson_append_array(document, key, keyLength, $0) }
            case .bool(let value): return bson_append_bool(document, key, keyLength, value)
            case .null: return bson_append_null(document, key, keyLength)
            case .int32(let value): return bson_append_int32(document, key, keyLength, value)
            case .int64(let value): return bson_append_int64(document, key, keyLength, value)
            case .unsupported(let code): preconditionFailure("BSON type 0x\(String(code, radix: 16)) cannot be written")
            }
        }
        // libbson refuses only documents beyond 2 GiB, which no envelope comes near.
        precondition(appended, "libbson refused to append '\(member.name)'")
    }
}
