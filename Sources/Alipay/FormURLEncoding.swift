import JSON

/// `application/x-www-form-urlencoded` bodies, as sent to and received from Alipay.
public enum FormURLEncoding {
    /// Why a form body could not be decoded.
    public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A `%` not followed by two hex digits.
        case badPercentEscape
        /// A name or value is not UTF-8 after decoding.
        case notUTF8
        /// A field has an empty name.
        case emptyName

        public var description: String {
            switch self {
            case .badPercentEscape: "form body has a malformed %-escape"
            case .notUTF8: "form field is not UTF-8"
            case .emptyName: "form field with an empty name"
            }
        }
    }

    /// `name=value` pairs joined by `&`, each side percent-encoded (see `encodeComponent`).
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encodeComponent($0.0))=\(encodeComponent($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes every UTF-8 byte except `A-Z a-z 0-9 - _ . ~`; space becomes `%20`, and
    /// `+ / =` (which base64 signatures contain) become `%2B %2F %3D`.
    public static func encodeComponent(_ text: String) -> String {
        HexDigit.percentEncoded(text)
    }

    /// Decodes once: `+` → space, `%XX` → byte, then UTF-8. Pairs keep their order; empty segments
    /// (`a=1&&b=2`) are skipped and a segment without `=` is a name with an empty value.
    public static func decode(_ body: [UInt8]) throws(DecodingError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for segment in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = segment.firstIndex(of: UInt8(ascii: "="))
            let name = try decodeComponent(segment[segment.startIndex..<(equals ?? segment.endIndex)])
            guard !name.isEmpty else { throw .emptyName }
            let value = try equals.map { index throws(DecodingError) in
                try decodeComponent(segment[segment.index(after: index)...])
            } ?? ""
            pairs.append((name, value))
        }
        return pairs
    }

    private static func decodeComponent(_ bytes: ArraySlice<UInt8>) throws(DecodingError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard bytes.endIndex - index >= 3, let high = HexDigit.value(bytes[index + 1]),
                      let low = HexDigit.value(bytes[index + 2])
                else { throw .badPercentEscape }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { throw .notUTF8 }
        return text
    }
}
