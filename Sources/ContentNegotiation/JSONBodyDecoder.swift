import JSON
import PaymentModel

/// Reads a JSON request body into contract members, the way Json.NET bound them.
///
/// Names: exact match first, then ASCII case-insensitive; the last occurrence wins (case variants
/// included); unknown members are ignored. A string, number or boolean feeds a member (numbers
/// keep their token text); `null` clears it; an object or array for a member is refused (1001), as is a body
/// nested deeper than `limits.maxDepth` or with an object or array over `limits.maxMembers`.
enum JSONBodyDecoder {
    static func decode(_ body: [UInt8], charset: Charset?, schema: RequestSchema, limits: DecodingLimits) -> Result<DecodedFields, ServiceError> {
        let text: TextDecoder.Decoded
        switch TextDecoder.decode(body, declared: charset, honourBOM: true) {
        case let .success(decoded): text = decoded
        case let .failure(error): return .failure(error)
        }
        guard !text.utf8.allSatisfy(XMLReader.isSpace) else { return .failure(.emptyBody) }
        let members: [JSONMember]
        do {
            guard let read = try JSONParser.rootMembers(
                text.utf8, mode: .jsonNET, maxDepth: limits.maxDepth, maxMembers: limits.maxMembers, nestedContents: false
            ) else {
                return .failure(.emptyBody)
            }
            members = read
        } catch {
            if error.isOverLimit { return .failure(.overLimit(error.reason, offset: error.offset)) }
            return .failure(.bodyUnreadable("invalid JSON, \(error.reason) (at byte \(error.offset))."))
        }
        var values: [String: FieldValue] = [:]
        for read in members {
            guard let member = schema.jsonMember(for: read.name) else { continue }
            switch read.value {
            case let .string(text): values[member] = .text(text)
            case let .number(token): values[member] = .number(token)
            case let .bool(flag): values[member] = .boolean(flag)
            case .null: values[member] = nil
            case .object, .array:
                let kind = if case .object = read.value { "an object" } else { "an array" }
                return .failure(.bodyUnreadable("the member '\(member)' must be a string or a number, not \(kind)."))
            }
        }
        return .success(DecodedFields(format: .json, values: values))
    }
}
