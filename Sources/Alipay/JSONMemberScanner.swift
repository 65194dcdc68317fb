/// Splits a top-level JSON object into its members without decoding the values: each member's
/// value is reported as the exact byte range it occupies, so it can be verified as received.
///
/// String-aware (braces and brackets inside strings do not count) and escape-aware (`\"` does
/// not end a string). Only the member names are decoded.
struct JSONMemberScanner {
    /// One top-level member: decoded name and the raw byte range of its value.
    struct Member {
        let name: String
        let value: Range<Int>
    }

    /// Why the text is not a JSON object of members.
    struct Failure: Error {
        let reason: String
    }

    private let bytes: [UInt8]
    private var position = 0

    /// Scans `bytes`, which must hold exactly one JSON object (surrounding whitespace allowed).
    static func members(of bytes: [UInt8]) throws(Failure) -> [Member] {
        var scanner = JSONMemberScanner(bytes: bytes)
        return try scanner.scanObject()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func scanObject() throws(Failure) -> [Member] {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "the reply is not a JSON object")
        var members: [Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                let nameRange = try skipString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' expected after a member name")
                skipWhitespace()
                let valueRange = try skipValue()
                members.append(Member(name: try decodeName(nameRange), value: valueRange))
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' expected after a member")
                break
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw Failure(reason: "text follows the JSON object") }
        return members
    }

    /// Skips any JSON value and returns its byte range.
    private mutating func skipValue() throws(Failure) -> Range<Int> {
        switch peek() {
        case UInt8(ascii: "\""):
            return try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return try skipContainer()
        case nil:
            throw Failure(reason: "value expected, end of text found")
        default:
            let start = position
            while let byte = peek(), !Self.isDelimiter(byte) { position += 1 }
            guard position > start else { throw Failure(reason: "value expected") }
            return start..<position
        }
    }

    /// Skips a string starting at the current `"`, honouring backslash escapes.
    private mutating func skipString() throws(Failure) -> Range<Int> {
        let start = position
        try expect(UInt8(ascii: "\""), "string expected")
        while let byte = peek() {
            position += 1
            if byte == UInt8(ascii: "\\") {
                guard peek() != nil else { break }
                position += 1
            } else if byte == UInt8(ascii: "\"") {
                return start..<position
            }
        }
        throw Failure(reason: "unterminated string")
    }

    /// Skips an object or array, matching each closing bracket to its opener, strings skipped whole.
    private mutating func skipContainer() throws(Failure) -> Range<Int> {
        let start = position
        var open: [UInt8] = []
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                _ = try skipString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                open.append(byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard open.popLast() == byte else { throw Failure(reason: "mismatched bracket") }
                if open.isEmpty {
                    position += 1
                    return start..<position
                }
            default:
                break
            }
            position += 1
        }
        throw Failure(reason: "unterminated object or array")
    }

    private func decodeName(_ range: Range<Int>) throws(Failure) -> String {
        try Self.decodeString(bytes[range])
    }

    /// Decodes one JSON string literal (quotes included) into its text.
    static func decodeString(_ literal: ArraySlice<UInt8>) throws(Failure) -> String {
        guard case .string(let text)? = try? JSONParser.parse(Array(literal)) else {
            throw Failure(reason: "invalid string literal")
        }
        return text
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func expect(_ byte: UInt8, _ reason: String) throws(Failure) {
        guard peek() == byte else { throw Failure(reason: reason) }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), Self.isWhitespace(byte) { position += 1 }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
    }
}
