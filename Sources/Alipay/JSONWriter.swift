/// Serialises a `JSONNode` compactly, in member order: ThreePay's `biz_content` and callback bodies, and the
/// sandbox's replies (written the way Alipay writes its responses).
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
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case UInt8(ascii: "/") where escapingSlashes: out.append(contentsOf: [0x5C, 0x2F])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default:
                // Non-ASCII stays as raw UTF-8, as in Alipay's responses.
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
