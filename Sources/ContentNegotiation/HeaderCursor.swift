/// A cursor over an HTTP header value, for the RFC 7230 token / quoted-string grammar.
struct HeaderCursor {
    private let bytes: [UInt8]
    private var position = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    var atEnd: Bool { position == bytes.count }

    /// Skips spaces and tabs; always returns true so it can sit in a condition list.
    @discardableResult
    mutating func skipWhiteSpace() -> Bool {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
        return true
    }

    /// Consumes `character` when it is next.
    mutating func take(_ character: Character) -> Bool {
        guard position < bytes.count, let ascii = character.asciiValue, bytes[position] == ascii else { return false }
        position += 1
        return true
    }

    /// Consumes an RFC 7230 token.
    mutating func token() -> String? {
        let start = position
        while position < bytes.count, HeaderCursor.isTokenByte(bytes[position]) { position += 1 }
        guard position > start else { return nil }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Consumes a quoted string and returns its content with `\x` escapes resolved.
    mutating func quotedString() -> String? {
        guard take("\"") else { return nil }
        var content: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: content, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                content.append(bytes[position])
                position += 1
            case 0x00...0x08, 0x0A...0x1F, 0x7F:
                return nil
            default:
                content.append(byte)
            }
        }
        return nil
    }

    /// Consumes `type/subtype *(; parameter)` (no surrounding white space).
    mutating func mediaType() -> MediaType? {
        guard let type = token() else { return nil }
        skipWhiteSpace()
        guard take("/") else { return nil }
        skipWhiteSpace()
        guard let subtype = token() else { return nil }
        var parameters: [MediaType.Parameter] = []
        while true {
            let mark = position
            skipWhiteSpace()
            guard take(";") else {
                position = mark
                break
            }
            skipWhiteSpace()
            guard let name = token() else { return nil }
            let afterName = position
            skipWhiteSpace()
            var value: String? = nil
            if take("=") {
                skipWhiteSpace()
                guard let read = token() ?? quotedString() else { return nil }
                value = read
            } else {
                position = afterName
            }
            parameters.append(MediaType.Parameter(name: name.lowercased(), value: value))
        }
        return MediaType(type: type, subtype: subtype, parameters: parameters)
    }

    /// RFC 7230 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
