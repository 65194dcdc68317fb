/// A JSON value written as compact text with a deterministic member order (for `biz_content`).
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Members are written sorted by name (UTF-8 byte order), whatever the dictionary order.
    case object([String: JSONValue])

    /// Compact JSON text: no spaces, sorted members, non-ASCII characters written raw (UTF-8).
    ///
    /// - Parameter escapingSlashes: write `/` as `\/`, as Alipay's gateway does in its replies.
    public func text(escapingSlashes: Bool = false) -> String {
        var output = ""
        write(to: &output, escapingSlashes: escapingSlashes)
        return output
    }

    private func write(to output: inout String, escapingSlashes: Bool) {
        switch self {
        case .string(let value):
            Self.writeString(value, to: &output, escapingSlashes: escapingSlashes)
        case .integer(let value):
            output += String(value)
        case .bool(let value):
            output += value ? "true" : "false"
        case .null:
            output += "null"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output, escapingSlashes: escapingSlashes)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, name) in members.keys.sorted(by: AlipayCanonical.byteOrder).enumerated() {
                if index > 0 { output += "," }
                Self.writeString(name, to: &output, escapingSlashes: escapingSlashes)
                output += ":"
                members[name]!.write(to: &output, escapingSlashes: escapingSlashes)
            }
            output += "}"
        }
    }

    /// Escapes per RFC 8259: quote, backslash and control characters; short forms where JSON has them.
    private static func writeString(_ value: String, to output: inout String, escapingSlashes: Bool) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "/" where escapingSlashes: output += "\\/"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
