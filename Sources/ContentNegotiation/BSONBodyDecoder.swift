import BSON
import PaymentModel

/// Reads an `application/bson` request body into contract members, the way Json.NET's BsonReader fed them.
///
/// The same member rules as JSON: exact name first, then ASCII case-insensitive; the last occurrence wins
/// (case variants included); unknown members are ignored; null clears a member. A string feeds a member as
/// text; an int32, int64 or double as a number (a double with the 15 significant digits .NET kept, see
/// `DotNetDouble`); a boolean as `True`/`False`. An embedded document or array, or another BSON type, for a
/// member is refused (1001), as is a body nested deeper than `limits.maxDepth` or with a document or array over
/// `limits.maxMembers`. A Decimal128 anywhere is refused (1001), as Json.NET refused it. Strings are
/// UTF-8 whatever charset the Content-Type names; invalid UTF-8 or a NUL character in a member is 1003.
enum BSONBodyDecoder {
    static func decode(_ body: [UInt8], schema: RequestSchema, limits: DecodingLimits) -> Result<DecodedFields, ServiceError> {
        let members: [BSONMember]
        do {
            members = try BSONReader.members(of: body, maxDepth: limits.maxDepth, maxMembers: limits.maxMembers)
        } catch {
            return .failure(failure(error))
        }
        if BSONValue.document(members).contains(typeCode: BSONValue.decimal128TypeCode) {
            return .failure(
                .bodyUnreadable("BSON Decimal128 values are not supported; send the amount as a double, int32, int64 or string.")
            )
        }
        var values: [String: FieldValue] = [:]
        for read in members {
            guard let member = schema.jsonMember(for: read.name) else { continue }
            switch read.value {
            case let .string(text):
                guard !text.utf8.contains(0) else { return .failure(TextDecoder.nulCharacter(in: .body)) }
                values[member] = .text(text)
            case let .int32(number): values[member] = .number(String(number))
            case let .int64(number): values[member] = .number(String(number))
            case let .double(number): values[member] = .number(DotNetDouble.text(number))
            case let .bool(flag): values[member] = .boolean(flag)
            case .null: values[member] = nil
            case .document: return .failure(notScalar(member, "an embedded document"))
            case .array: return .failure(notScalar(member, "an array"))
            case let .unsupported(code): return .failure(notScalar(member, "a value of BSON type 0x\(hex(code))"))
            }
        }
        return .success(DecodedFields(format: .bson, values: values))
    }

    static func failure(_ error: BSONReadError) -> ServiceError {
        switch error {
        case let .malformed(reason, offset):
            return .bodyUnreadable("invalid BSON, \(reason) (at byte \(offset)).")
        case let .tooDeep(limit, offset):
            return .bodyUnreadable("invalid BSON, documents nested deeper than \(limit) levels (at byte \(offset)).")
        case let .tooManyMembers(limit, offset, inArray):
            return .overLimit(inArray ? "more than \(limit) values in one BSON array" : "more than \(limit) members in one BSON document",
                              offset: offset)
        case .invalidUTF8:
            return ServiceError(.charsetInvalid, message: "The request body holds a BSON key or string that is not valid UTF-8.")
        }
    }

    static func notScalar(_ member: String, _ kind: String) -> ServiceError {
        .bodyUnreadable("the member '\(member)' must be a string or a number, not \(kind).")
    }

    static func hex(_ code: UInt8) -> String {
        let digits = String(code, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
