/// Why a JSON text was refused; says where, never repeats the text.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the UTF-8 text.
    public let offset: Int
    public let reason: String
    /// Set when the text broke no grammar rule but went over the caller's `maxMembers`; `reason` names the count.
    public var isOverLimit = false
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// One member of a root object, with the exact bytes its value occupies in the text.
public struct JSONMember: Sendable, Equatable {
    public let name: String
    public let value: JSONNode
    /// Where the value stands in the parsed bytes, from its first to its last byte (a string's quotes included).
    public let valueBytes: Range<Int>
}

/// The one JSON reader (RFC 8259 over UTF-8 bytes), in two modes.
///
/// Both modes read the grammar strictly: comments, single quotes, unquoted names, trailing commas, leading zeros,
/// raw control characters in strings, unpaired surrogate escapes and text after the root value are refused
/// with a reason. Nesting deeper than `maxDepth` (the root container counts as 1) is refused before it is
/// entered, so the recursion stays shallow; an object with more than `maxMembers` members, or an array with more
/// than `maxMembers` values, is refused at the first one too many. Every value is read once, strings are built by
/// appending and repeated names are found by hashing, so the cost is linear in the text. Number literals are kept
/// as written.
public struct JSONParser {
    public enum Mode: Sendable {
        /// Alipay's replies, `biz_content` and the sandbox: a repeated member name anywhere is refused, since
        /// which of the values counts would be left to chance (and a signed node must mean one thing).
        case strict
        /// Request bodies, bound as Json.NET bound them: repeated names are all returned in text order for
        /// the caller to let the last one win (Json.NET's rule). `\u0000` is refused, since a request body is
        /// text. Json.NET's syntax tolerance (comments, single quotes, …) is not copied: such bodies are
        /// refused with a reason instead.
        case jsonNET
    }

    public static let defaultMaxDepth = 64

    private let bytes: [UInt8]
    private let mode: Mode
    private let maxDepth: Int
    private let maxMembers: Int
    /// Whether the members and elements of containers are kept (false: checked, then dropped).
    private let keepsContents: Bool
    private var position = 0

    private init(_ bytes: [UInt8], mode: Mode, maxDepth: Int, maxMembers: Int, keepsContents: Bool = true) {
        self.bytes = bytes
        self.mode = mode
        self.maxDepth = maxDepth
        self.maxMembers = maxMembers
        self.keepsContents = keepsContents
    }

    /// Parses one complete JSON text of any kind.
    public static func parse(
        _ bytes: [UInt8], mode: Mode = .strict, maxDepth: Int = defaultMaxDepth, maxMembers: Int = .max
    ) throws(JSONParseError) -> JSONNode {
        var parser = JSONParser(bytes, mode: mode, maxDepth: maxDepth, maxMembers: maxMembers)
        parser.skipWhiteSpace()
        let value = try parser.value(depth: 0)
        try parser.end()
        return value
    }

    /// Parses JSON held in a string, strictly.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONNode {
        try parse(Array(text.utf8))
    }

    /// The members of a root object in text order, each with the bytes of its value; nil when the text is the
    /// literal `null`. Any other root is refused (after it has been read, so a syntax error inside is named first).
    ///
    /// With `nestedContents` false, a member whose value is an object or array comes back as an empty `.object`
    /// or `.array`: what it held is read and checked like the rest, but not kept (for a caller that only binds
    /// scalar members, this saves building a tree it would throw away).
    public static func rootMembers(
        _ bytes: [UInt8], mode: Mode = .strict, maxDepth: Int = defaultMaxDepth, maxMembers: Int = .max,
        nestedContents: Bool = true
    ) throws(JSONParseError) -> [JSONMember]? {
        var parser = JSONParser(bytes, mode: mode, maxDepth: maxDepth, maxMembers: maxMembers, keepsContents: nestedContents)
        parser.skipWhiteSpace()
        var members: [JSONMember]? = nil
        switch parser.peek {
        case UInt8(ascii: "{"):
            var read: [JSONMember] = []
            try parser.object(depth: 1) { read.append(JSONMember(name: $0, value: $1, valueBytes: $2)) }
            members = read
        case UInt8(ascii: "n"):
            try parser.literal("null")
        default:
            _ = try parser.value(depth: 0)
            throw JSONParseError(offset: 0, reason: "the root must be an object")
        }
        try parser.end()
        return members
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func failure(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? position, reason: reason)
    }

    /// Counts one more member or value of a container; past `maxMembers`, the failure names `what` it counts.
    private func count(_ read: inout Int, _ what: String) throws(JSONParseError) {
        read += 1
        guard read <= maxMembers else {
            throw JSONParseError(offset: position, reason: "more than \(maxMembers) \(what)", isOverLimit: true)
        }
    }

    private mutating func end() throws(JSONParseError) {
        skipWhiteSpace()
        guard position == bytes.count else { throw failure("unexpected text after the root value") }
    }

    private mutating func skipWhiteSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard peek == byte else { throw failure("expected \(what)") }
        position += 1
    }

    /// Any value inside a container at `depth` (0 for the root).
    private mutating func value(depth: Int) throws(JSONParseError) -> JSONNode {
        switch peek {
        case UInt8(ascii: "{"):
            var members: [(String, JSONNode)] = []
            let keeps = keepsContents
            try object(depth: depth + 1) { name, value, _ in if keeps { members.append((name, value)) } }
            return .object(members)
        case UInt8(ascii: "["):
            return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
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

    /// Reads an object at `depth`, handing each member over with the byte range of its value.
    private mutating func object(
        depth: Int, member: (String, JSONNode, Range<Int>) -> Void
    ) throws(JSONParseError) {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
        position += 1
        skipWhiteSpace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return
        }
        var names = Set<String>()
        var read = 0
        while true {
            skipWhiteSpace()
            try count(&read, "members in one JSON object")
            switch peek {
            case UInt8(ascii: "\""): break
            case UInt8(ascii: "}"): throw failure("trailing commas are not accepted")
            case UInt8(ascii: "/"): throw failure("comments are not accepted")
            default: throw failure("member names must be double-quoted strings")
            }
            let nameOffset = position
            let name = try string()
            if mode == .strict, !names.insert(name).inserted {
                throw failure("the member name is repeated", at: nameOffset)
            }
            skipWhiteSpace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhiteSpace()
            let start = position
            let value = try value(depth: depth)
            member(name, value, start..<position)
            skipWhiteSpace()
            if peek == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}' after a member")
            return
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> [JSONNode] {
        guard depth <= maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
        position += 1
        var elements: [JSONNode] = []
        skipWhiteSpace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        var read = 0
        while true {
            skipWhiteSpace()
            if peek == UInt8(ascii: "]") { throw failure("trailing commas are not accepted") }
            try count(&read, "values in one JSON array")
            let element = try value(depth: depth)
            if keepsContents { elements.append(element) }
            skipWhiteSpace()
            if peek == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']' after an array element")
            return elements
        }
    }

    private mutating func literal(_ word: String) throws(JSONParseError) {
        guard bytes[position...].starts(with: word.utf8) else { throw failure("unexpected word (expected \(word))") }
        position += word.utf8.count
    }

    /// A number token, checked against the JSON grammar and returned as written.
    private mutating func number() throws(JSONParseError) -> String {
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
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A double-quoted string with its escapes resolved; its bytes must be UTF-8.
    private mutating func string() throws(JSONParseError) -> String {
        let start = position
        position += 1
        // Most strings hold no escape or control character: validate them in place, without a copy.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let decoded = String(validating: bytes[position..<end], as: UTF8.self) else {
                throw failure("a string is not valid UTF-8", at: start)
            }
            position = end + 1
            return decoded
        }
        // Otherwise the plain part so far is copied, and the rest read byte by byte.
        var text = Array(bytes[position..<end])
        position = end
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let decoded = String(validating: text, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8", at: start)
                }
                return decoded
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

    private mutating func escape(into text: inout [UInt8]) throws(JSONParseError) {
        guard let byte = peek else { throw failure("unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"): UTF8.encode(try unicodeEscape()) { text.append($0) }
        default: throw failure("invalid escape", at: position - 2)
        }
    }

    /// The scalar of a `\u` escape (the `\u` already read), joining a surrogate pair.
    private mutating func unicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        var value = try hexQuad()
        if (0xD800...0xDBFF).contains(value) {
            guard peek == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate escape")
            }
            position += 2
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate escape") }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw failure("unpaired surrogate escape") }
        if mode == .jsonNET, value == 0 { throw failure("\\u0000 is not accepted") }
        return scalar
    }

    private mutating func hexQuad() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            guard let digit = HexDigit.value(byte) else { throw failure("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }
}
