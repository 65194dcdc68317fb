/// Serialises a `JSONNode` compactly, in member order: ThreePay's answers, `biz_content` and callback bodies,
/// and the sandbox's replies.
///
/// Strings are escaped as Json.NET escaped them, which is also valid for Alipay: `\"`, `\\`, `\n`, `\r`, `\t`,
/// `\b`, `\f`; other characters below U+0020 and U+0085, U+2028, U+2029 as `\u` with four lower-case hex
/// digits; everything else (`<`, `>`, `&`, `'`, DEL, all non-ASCII) as raw UTF-8.
public enum JSONWriter {
    /// The compact UTF-8 text of `value`.
    ///
    /// - Parameter escapingSlashes: write `/` as `\/`, as Alipay does inside signed response nodes
    ///   (the escapes are part of the signed bytes, so a verifier must see them).
    public static func bytes(_ value: JSONNode, escapingSlashes: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, escapingSlashes: escapingSlashes, into: &out)
        return out
    }

    /// The compact text of `value` as a String.
    public static func text(_ value: JSONNode, escapingSlashes: Bool = true) -> String {
        String(decoding: bytes(value, escapingSlashes: escapingSlashes), as: UTF8.self)
    }

    private static func write(_ value: JSONNode, escapingSlashes: Bool, into out: inout [UInt8]) {
        switch value {
        case .string(let text): writeString(text, escapingSlashes: escapingSlashes, into: &out)
        case .number(let literal): out.append(contentsOf: literal.utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                write(element, escapingSlashes: escapingSlashes, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (position, member) in members.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.0, escapingSlashes: escapingSlashes, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.1, escapingSlashes: escapingSlashes, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, escapingSlashes: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: #"\""#.utf8)
            case "\\": out.append(contentsOf: #"\\"#.utf8)
            case "/" where escapingSlashes: out.append(contentsOf: #"\/"#.utf8)
            case "\n": out.append(contentsOf: #"\n"#.utf8)
            case "\r": out.append(contentsOf: #"\r"#.utf8)
            case "\t": out.append(contentsOf: #"\t"#.utf8)
            case "\u{08}": out.append(contentsOf: #"\b"#.utf8)
            case "\u{0C}": out.append(contentsOf: #"\f"#.utf8)
            case "\u{00}"..."\u{1F}", "\u{85}", "\u{2028}", "\u{2029}":
                out.append(contentsOf: #"\u"#.utf8)
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.append(lowerHexDigits[Int(scalar.value >> UInt32(shift) & 0xF)])
                }
            default:
                UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let lowerHexDigits = Array("0123456789abcdef".utf8)
}

extension JSONNode {
    /// Compact text with `/` left unescaped (request bodies; Alipay's own replies escape it, see `JSONWriter`).
    public var compactText: String {
        JSONWriter.text(self, escapingSlashes: false)
    }
}
