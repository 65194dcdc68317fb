/// Writes an envelope byte-exactly as DataContractSerializer did on the Windows server.
///
/// No declaration, BOM, indentation or trailing newline. Root: `xmlns:i` then the default
/// namespace. Members in ordinal name order; a tag in another namespace declares `xmlns:d2p1`
/// (also when nil) and prefixes its members with `d2p1:`. null → `<x i:nil="true" />`; "" →
/// `<x></x>`. Text escapes `&`, `<`, `>`; line ends (`\n`, `\r\n`, `\r`) become `\r\n`; other C0
/// controls and U+FFFE/U+FFFF become `&#xH;` (upper-case hex).
enum XMLEnvelopeWriter {
    static let envelopeNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer"

    static func write<Tag>(_ envelope: Envelope<Tag>) -> [UInt8] {
        let root = Tag.xmlRootName
        var out = "<\(root) xmlns:i=\"\(XMLNamespaces.schemaInstance)\" xmlns=\"\(envelopeNamespace)\">"
        out += "<errcode>\(envelope.errcode)</errcode>"
        appendElement("errmsg", envelope.errmsg, to: &out)
        let foreign = !Tag.isBuiltInContract && Tag.contractNamespace != envelopeNamespace
        let declaration = foreign ? " xmlns:d2p1=\"\(escape(Tag.contractNamespace, attribute: true))\"" : ""
        let prefix = foreign ? "d2p1:" : ""
        if let tag = envelope.tag {
            out += "<tag\(declaration)>"
            for member in tag.members.sorted(by: { Array($0.name.utf16).lexicographicallyPrecedes(Array($1.name.utf16)) }) {
                appendElement(prefix + member.name, member.value, to: &out)
            }
            out += "</tag>"
        } else {
            out += "<tag\(declaration) i:nil=\"true\" />"
        }
        out += "</\(root)>"
        return Array(out.utf8)
    }

    static func appendElement(_ name: String, _ value: String?, to out: inout String) {
        guard let value else {
            out += "<\(name) i:nil=\"true\" />"
            return
        }
        out += "<\(name)>\(escape(value, attribute: false))</\(name)>"
    }

    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\r":
                if pending == "\n" { pending = scalars.next() }
                out += "\r\n"
            case "\n": out += "\r\n"
            case "\t": out += "\t"
            case "\u{00}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}":
                out += "&#x" + String(scalar.value, radix: 16, uppercase: true) + ";"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
