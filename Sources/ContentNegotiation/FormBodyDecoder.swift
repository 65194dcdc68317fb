import PaymentModel

/// Reads an `application/x-www-form-urlencoded` body into contract members, as MVC model binding did.
///
/// Keys are ASCII case-insensitive; the first occurrence of a key wins (even when empty); an empty
/// or white-space-only value counts as absent. Percent-decoded bytes are decoded in the declared
/// charset (UTF-8 by default; strictly — invalid bytes are 1003 instead of the legacy silent U+FFFD).
/// A GBK-family charset decodes the whole body as UTF-8 when every piece is valid UTF-8, otherwise
/// as GB18030. Charsets that are not ASCII-compatible (UTF-16/32) cannot carry a form: 1003.
/// More than `limits.maxMembers` pairs is 1001. A query string is read the same way (`source` only changes the
/// wording of failures).
enum FormBodyDecoder {
    static func decode(
        _ body: [UInt8], charset: Charset?, schema: RequestSchema, limits: DecodingLimits, source: TextDecoder.Source = .body
    ) -> Result<DecodedFields, ServiceError> {
        guard !body.allSatisfy(XMLReader.isSpace) else { return .failure(.emptyBody) }
        if let charset, !charset.isASCIICompatible { return .failure(.charsetUnsupported(charset.name)) }
        let rawPairs: [(key: [UInt8], value: [UInt8])]
        switch FormReader.pairs(body, maxPairs: limits.maxMembers) {
        case let .success(pairs): rawPairs = pairs
        case let .failure(tooMany):
            let what = "more than \(limits.maxMembers) fields" + (source == .body ? " in the form" : "")
            return .failure(.overLimit(what, offset: tooMany.offset, in: source))
        }
        var effective = charset ?? Charset("utf-8")
        if effective.family == .gbk {
            let allUTF8 = rawPairs.allSatisfy {
                String(validating: $0.key, as: UTF8.self) != nil && String(validating: $0.value, as: UTF8.self) != nil
            }
            if allUTF8 { effective = Charset("utf-8") }
        }
        var values: [String: FieldValue] = [:]
        var seen: Set<String> = []
        for (rawKey, rawValue) in rawPairs {
            let key: String
            switch text(rawKey, effective, declared: charset, source: source) {
            case let .success(decoded): key = decoded
            case let .failure(error): return .failure(error)
            }
            guard let member = schema.formMember(for: key), !seen.contains(member) else { continue }
            seen.insert(member)
            switch text(rawValue, effective, declared: charset, source: source) {
            case let .success(value):
                if !TextRules.isBlank(value) { values[member] = .text(value) }
            case let .failure(error):
                return .failure(error)
            }
        }
        return .success(DecodedFields(format: .form, values: values))
    }

    /// One key or value as text; GBK-family bodies are decoded as GB18030.
    static func text(
        _ bytes: [UInt8], _ charset: Charset, declared: Charset?, source: TextDecoder.Source
    ) -> Result<String, ServiceError> {
        let target = charset.family == .gbk ? Charset("gb18030") : charset
        return TextDecoder.transcode(bytes, as: target, reportedAs: declared, source: source)
            .map { String(decoding: $0.utf8, as: UTF8.self) }
    }
}
