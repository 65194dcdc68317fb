import PaymentModel

/// Decodes a request body to validated UTF-8 according to its charset and byte order mark.
///
/// - A BOM (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) wins over any declared charset when `honourBOM` is set.
/// - No charset: UTF-8. `utf-8`: strict UTF-8 (overlong forms, surrogates, truncation refused).
/// - `utf-16` without BOM: little-endian, as .NET's `utf-16` meant.
/// - GBK family (gbk, gb2312, gb18030, cp936, …): UTF-8 when the bytes are valid UTF-8 (clients that
///   label GBK but send UTF-8 keep working), otherwise GB18030 (a superset of GBK and GB2312).
/// - Any other name: glibc iconv; unknown to iconv → 1003.
/// - A NUL character anywhere in the decoded text → 1003: a request body is text, never binary.
enum TextDecoder {
    /// Where the text came from, for the wording of failures.
    enum Source {
        case body
        case queryString
    }

    /// The decoded text and the charset family actually used.
    struct Decoded {
        let utf8: [UInt8]
        let used: Charset
    }

    static func decode(_ body: [UInt8], declared: Charset?, honourBOM: Bool) -> Result<Decoded, ServiceError> {
        if honourBOM, let (bomCharset, length) = byteOrderMark(body) {
            return transcode(Array(body[length...]), as: bomCharset)
        }
        guard let declared else { return transcode(body, as: Charset("utf-8")) }
        switch declared.family {
        case .gbk:
            if String(validating: body, as: UTF8.self) != nil { return finish(body, used: Charset("utf-8")) }
            return transcode(body, as: Charset("gb18030"), reportedAs: declared)
        case .utf16:
            return transcode(body, as: Charset("utf-16le"), reportedAs: declared)
        default:
            return transcode(body, as: declared)
        }
    }

    /// The charset a leading BOM announces and the BOM's length.
    static func byteOrderMark(_ body: [UInt8]) -> (Charset, Int)? {
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { return (Charset("utf-8"), 3) }
        if body.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return (Charset("utf-32le"), 4) }
        if body.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return (Charset("utf-32be"), 4) }
        if body.starts(with: [0xFF, 0xFE]) { return (Charset("utf-16le"), 2) }
        if body.starts(with: [0xFE, 0xFF]) { return (Charset("utf-16be"), 2) }
        return nil
    }

    /// Converts with the given charset; the error names `reportedAs` (what the client declared).
    static func transcode(
        _ bytes: [UInt8], as charset: Charset, reportedAs: Charset? = nil, source: Source = .body
    ) -> Result<Decoded, ServiceError> {
        let shown = (reportedAs ?? charset).name
        if charset.family == .utf8 {
            guard String(validating: bytes, as: UTF8.self) != nil else {
                return .failure(source == .queryString ? queryStringInvalid : .bytesInvalid(charset: shown))
            }
            return finish(bytes, used: charset, source: source)
        }
        switch IconvTranscoder.utf8(from: bytes, charset: charset.name) {
        case .success(var utf8):
            // iconv keeps a UTF-16 BOM as U+FEFF when the charset names the byte order; drop it.
            if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { utf8.removeFirst(3) }
            guard String(validating: utf8, as: UTF8.self) != nil else { return .failure(.bytesInvalid(charset: shown)) }
            return finish(utf8, used: reportedAs ?? charset, source: source)
        case .failure(.unknownCharset):
            return .failure(.charsetUnsupported(shown))
        case .failure(.invalidBytes):
            return .failure(.bytesInvalid(charset: shown))
        }
    }

    static func finish(_ utf8: [UInt8], used: Charset, source: Source = .body) -> Result<Decoded, ServiceError> {
        guard !utf8.contains(0) else { return .failure(nulCharacter(in: source)) }
        return .success(Decoded(utf8: utf8, used: used))
    }

    /// 1003 for a NUL character in text.
    static func nulCharacter(in source: Source) -> ServiceError {
        let subject = source == .queryString ? "The query string contains a NUL character (%00)" : "The request body contains a NUL character"
        return ServiceError(.charsetInvalid, message: subject + "; send text only.")
    }

    /// 1003 for percent-decoded query string bytes that are not UTF-8 (`%ff`).
    static let queryStringInvalid = ServiceError(
        .charsetInvalid, message: "The query string is not valid UTF-8 once percent-decoded; percent-encode UTF-8 bytes only."
    )
}
