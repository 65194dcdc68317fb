/// Writes an envelope as Json.NET did: declaration order, no white space, nulls written.
enum JSONEnvelopeWriter {
    static func write<Tag>(_ envelope: Envelope<Tag>) -> [UInt8] {
        var out = "{\"errcode\":\(envelope.errcode),\"errmsg\":"
        appendString(envelope.errmsg, to: &out)
        out += ",\"tag\":"
        if let tag = envelope.tag {
            out += "{"
            for (index, member) in tag.members.enumerated() {
                if index > 0 { out += "," }
                appendString(member.name, to: &out)
                out += ":"
                appendString(member.value, to: &out)
            }
            out += "}"
        } else {
            out += "null"
        }
        out += "}"
        return Array(out.utf8)
    }

    /// A JSON string (or `null`) with Json.NET's default escaping: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`,
    /// `\f`; other controls below U+0020 and U+0085, U+2028, U+2029 as `\u` + lower-case hex; all
    /// else raw (including `/`, `<`, `>`, `&`, `'`, and non-ASCII).
    static func appendString(_ value: String?, to out: inout String) {
        guard let value else {
            out += "null"
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}", "\u{85}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
