import BSON
import TestSupport

extension ScanCodeEnvelope {
    /// Reads a BSON answer: exactly errcode (int32), errmsg (string or null), tag (document of strings and
    /// nulls, or null), in that order.
    static func bson(_ body: [UInt8]) throws -> ScanCodeEnvelope {
        let members = try BSONReader.members(of: body, maxDepth: 2)
        guard members.map(\.name) == ["errcode", "errmsg", "tag"], case .int32(let errcode) = members[0].value else {
            throw TestFailure("not a BSON envelope: \(members)")
        }
        var errmsg: String?
        switch members[1].value {
        case .string(let text): errmsg = text
        case .null: errmsg = nil
        default: throw TestFailure("errmsg is neither a string nor null: \(members[1].value)")
        }
        var tag: [String: String?]?
        switch members[2].value {
        case .null: tag = nil
        case .document(let tagMembers):
            var read: [String: String?] = [:]
            for member in tagMembers {
                switch member.value {
                case .string(let text): read[member.name] = .some(text)
                case .null: read[member.name] = .some(nil)
                default: throw TestFailure("tag member \(member.name) is neither a string nor null")
                }
            }
            tag = read
        default: throw TestFailure("tag is neither a document nor null: \(members[2].value)")
        }
        return ScanCodeEnvelope(format: .bson, errcode: Int(errcode), errmsg: errmsg, tag: tag)
    }

    /// The members of a BSON answer's tag in document order (nil for a null tag), to check JSON's order.
    static func bsonTagNames(_ body: [UInt8]) throws -> [String]? {
        let members = try BSONReader.members(of: body, maxDepth: 2)
        guard case .document(let tag) = members.last?.value else { return nil }
        return tag.map(\.name)
    }
}

extension ScanCodeBill {
    /// The bill as a BSON client (Json.NET's BsonWriter) sends it: text as strings; a token as a double when it
    /// is a number (BsonWriter writes decimals as doubles), `true`/`false` as booleans, `null` as null, else a
    /// string; raw bytes as the string they decode to as UTF-8.
    func bson() -> [UInt8] {
        BSONWriter.document(bsonMembers)
    }

    /// The members `bson()` writes.
    var bsonMembers: [BSONMember] {
        members.map { member in
            switch member.value {
            case .text(let text): return BSONMember(member.name, .string(text))
            case .bytes(let bytes): return BSONMember(member.name, .string(String(decoding: bytes, as: UTF8.self)))
            case .token(let token):
                if token == "null" { return BSONMember(member.name, .null) }
                if token == "true" || token == "false" { return BSONMember(member.name, .bool(token == "true")) }
                if let number = Double(token) { return BSONMember(member.name, .double(number)) }
                return BSONMember(member.name, .string(token))
            }
        }
    }
}
