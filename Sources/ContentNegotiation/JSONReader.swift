/// A strict RFC 8259 reader for a request body whose root is an object of mostly scalar members.
///
/// It returns the root object's members in document order, with scalar values kept exactly (a
/// number's token text is never converted). Nested objects and arrays are checked and reported only
/// by kind. Refused, with a reason: comments, single quotes, unquoted names, trailing commas, text
/// after the root value, raw control characters in strings, unpaired surrogate escapes, nesting
/// deeper than `maxDepth` (checked before descending, so 10,000 `[` cost nothing).
struct JSONReader {
    /// A member value: scalars exactly, composites by kind.
    enum Value: Equatable {
        case string(String)
        case number(String)
        case boolean(Bool)
        case null
        case object
        case array
    }

    /// Why the text is not acceptable JSON, and where (byte offset in the UTF-8 text).
    struct SyntaxError: Error, Equatable {
        let reason: String
        let offset: Int
    }

    private let bytes: [UInt8]
    private var position = 0
    private let maxDepth: Int

    private init(_ bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// The root object's members in order; nil when the document is the literal `null`.
    static func rootMembers(_ utf8: [UInt8], maxDepth: Int) throws(SyntaxError) -> [(name: String, value: Value)]? {
        var reader = JSONReader(utf8, maxDepth: maxDepth)
        reader.skipWhiteSpace()
        var members: [(name: String, value: Value)]? = nil
        switch reader.peek {
        case UInt8(ascii: "{"):
            members = try reader.object(depth: 1)
        case UInt8(ascii: "n"):
            try reader.literal("null")
        default:
            _ = try reader.value(depth: 1)
            throw reader.failure("the root must be an object", at: 0)
        }
        reader.skipWhiteSpace()
        guard reader.position == reader.bytes.count else { throw reader.failure("unexpected text after the root value") }
        return members
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func failure(_ reason: String, at offset: Int? = nil) -> SyntaxError {
        SyntaxError(reason: reason, offset: offset ?? position)
    }

    private mutating func skipWhiteSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
        guard peek == byte else { throw failure("expected \(what)") }
        position += 1
    }

    /// Any value; composites are walked and reported by kind.
    private mutating func value(depth: Int) throws(SyntaxError) -> Value {
        switch peek {
        case UInt8(ascii: "{"):
            _ = try object(depth: depth + 1)
            return .object
        case UInt8(ascii: "["):
            try array(depth: depth + 1)
            return .array
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .boolean(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .boolean(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case let byte? where byte == UInt8(ascii: "-") || isDigit(byte):
            return .number(try number())
        case UInt8(ascii: "'"):
            throw failure("single-quoted strings are not accepted")
        case UInt8(ascii: "/"):
            throw failure("comments are not accepted")
        case nil:
            throw failure("unexpected end of the document")
        default:
            throw failure("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(SyntaxError) -> [(name: String, value: Value)] {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
        position += 1
        var members: [(name: String, value: Value)] = []
        skipWhiteSpace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return members
        }
        while true {
            skipWhiteSpace()
            switch peek {
            case UInt8(ascii: "\""): break
            case UInt8(ascii: "}"): throw failure("trailing commas are not accepted")
            case UInt8(ascii: "/"): throw failure("comments are not accepted")
            default: throw failure("member names must be double-quoted strings")
            }
            let name = try string()
            skipWhiteSpace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhiteSpace()
            members.append((name, try value(depth: depth)))
            skipWhiteSpace()
            if peek == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}' after a member")
            return members
        }
    }

    private mutating func array(depth: Int) throws(SyntaxError) {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
        position += 1
        skipWhiteSpace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            skipWhiteSpace()
            if peek == UInt8(ascii: "]") { throw failure("trailing commas are not accepted") }
            _ = try value(depth: depth)
            skipWhiteSpace()
            if peek == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']' after an array element")
            return
        }
    }

    private mutating func literal(_ word: String) throws(SyntaxError) {
        let expected = Array(word.utf8)
        guard bytes[position...].starts(with: expected) else { throw failure("unexpected word (expected \(word))") }
        position += expected.count
    }

    /// A number token, checked against the JSON grammar and returned as written.
    private mutating func number() throws(SyntaxError) -> String {
        let start = position
        if peek == UInt8(ascii: "-") { position += 1 }
        guard let first = peek, isDigit(first) else { throw failure("invalid number") }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { throw failure("invalid number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw failure("invalid number") }
        }
        if let next = peek, isDigit(next) { throw failure("invalid number (leading zero)") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while let byte = peek, isDigit(byte) { position += 1 }
        return position - start
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A double-quoted string with its escapes resolved.
    private mutating func string() throws(SyntaxError) -> String {
        position += 1
        var text: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &text)
            case 0x00...0x1F:
                throw failure("control character inside a string", at: position - 1)
            default:
                text.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func escape(into text: inout [UInt8]) throws(SyntaxError) {
        guard let byte = peek else { throw failure("unterminated string") }
        position += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[byte] {
            text.append(replacement)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw failure("invalid escape", at: position - 2) }
        var scalar = try hexQuad()
        if (0xD800...0xDBFF).contains(scalar) {
            guard peek == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate escape")
            }
            position += 2
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw failure("unpaired surrogate escape")
        }
        guard scalar != 0, let unicode = Unicode.Scalar(scalar) else { throw failure("\\u0000 is not accepted") }
        text.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    private mutating func hexQuad() throws(SyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(nibble)
            position += 1
        }
        return value
    }
}
