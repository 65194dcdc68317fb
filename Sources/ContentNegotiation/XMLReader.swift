/// A strict, non-validating reader for small XML 1.0 documents with namespaces.
///
/// Chosen over FoundationXML's `XMLParser` (libxml2) so that no DTD, external entity or entity
/// expansion machinery is ever reached: a `<!DOCTYPE` (or any other markup declaration) is refused
/// the moment it is seen, and only the five predefined entities and numeric character references
/// exist. It reads the XML declaration, comments, processing instructions, CDATA sections and
/// namespace declarations; normalises line ends; checks characters against XML 1.0's `Char`; limits
/// element depth, the attributes on one element and the elements in the document. Names are checked
/// loosely: ASCII letters, digits, `_ - .`, one `:` separating a prefix, and any non-ASCII character.
///
/// Every byte is looked at a bounded number of times, and repeated attributes and namespace prefixes
/// are found by hashing, so the cost is linear in the document whatever its shape.
struct XMLReader {
    enum Failure: Error, Equatable {
        /// A DOCTYPE or other markup declaration: refused (1006), never interpreted.
        case declarationRefused
        /// Not well-formed (1001), with a reason and byte offset.
        case malformed(String, offset: Int)
        /// Well-formed so far but over one of the counts in `DecodingLimits` (1001), which it names.
        case overLimit(String, offset: Int)
    }

    /// The `<?xml …?>` declaration's pseudo-attributes.
    struct Declaration: Equatable {
        let version: String
        let encoding: String?
        let standalone: String?
    }

    private let bytes: [UInt8]
    private var position = 0
    private let limits: DecodingLimits
    /// Elements read so far.
    private var elementCount = 0
    /// The namespace URIs in scope: for each prefix ("" for the default namespace) the declarations of the
    /// open elements, innermost last. An element pushes what it declares and pops it at its end tag, so a
    /// declaration costs the same however many are in scope.
    private var namespaces: [String: [String]] = ["xml": [XMLNamespaces.xml], "": [""]]

    private init(_ bytes: [UInt8], limits: DecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses a whole document: optional declaration, misc, one root element, misc.
    static func parse(_ utf8: [UInt8], limits: DecodingLimits) throws(Failure) -> (declaration: Declaration?, root: XMLElement) {
        var reader = XMLReader(utf8, limits: limits)
        let declaration = try reader.xmlDeclaration()
        try reader.misc()
        guard reader.peek == UInt8(ascii: "<") else { throw reader.malformed("expected the root element") }
        let root = try reader.element(depth: 1)
        try reader.misc()
        guard reader.atEnd else { throw reader.malformed("unexpected content after the root element") }
        return (declaration, root)
    }

    /// The `encoding` of an XML declaration at the start of raw (still undecoded) bytes, when those
    /// bytes are ASCII-compatible; nil otherwise.
    static func sniffEncoding(_ raw: [UInt8]) -> String? {
        guard raw.starts(with: Array("<?xml".utf8)) else { return nil }
        let window = Array(raw.prefix(512))
        guard let end = window.firstIndex(of: UInt8(ascii: ">")), window[..<end].allSatisfy({ $0 < 0x80 }) else { return nil }
        var reader = XMLReader(Array(window[...end]), limits: DecodingLimits(maxDepth: 1))
        return (try? reader.xmlDeclaration())??.encoding
    }

    // MARK: - Cursor

    private var atEnd: Bool { position >= bytes.count }
    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func malformed(_ reason: String) -> Failure {
        .malformed(reason, offset: position)
    }

    private func looksAt(_ text: String) -> Bool {
        bytes[position...].starts(with: text.utf8)
    }

    private mutating func take(_ text: String) -> Bool {
        guard looksAt(text) else { return false }
        position += text.utf8.count
        return true
    }

    @discardableResult
    private mutating func skipSpace() -> Int {
        let start = position
        while let byte = peek, XMLReader.isSpace(byte) { position += 1 }
        return position - start
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    // MARK: - Prolog and misc

    private mutating func xmlDeclaration() throws(Failure) -> Declaration? {
        guard looksAt("<?xml"), position + 5 < bytes.count, XMLReader.isSpace(bytes[position + 5]) else { return nil }
        position += 5
        var values: [String: String] = [:]
        var order: [String] = []
        while true {
            let spaced = skipSpace() > 0
            if take("?>") { break }
            guard spaced, let name = name() else { throw malformed("invalid XML declaration") }
            skipSpace()
            guard take("=") else { throw malformed("invalid XML declaration") }
            skipSpace()
            guard let quote = peek, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw malformed("invalid XML declaration")
            }
            position += 1
            let start = position
            while let byte = peek, byte != quote, byte != UInt8(ascii: "<"), byte != UInt8(ascii: ">") { position += 1 }
            guard peek == quote else { throw malformed("invalid XML declaration") }
            values[name] = String(decoding: bytes[start..<position], as: UTF8.self)
            order.append(name)
            position += 1
        }
        let allowed = ["version", "encoding", "standalone"]
        guard let version = values["version"], order.first == "version", version.hasPrefix("1."),
              order.allSatisfy(allowed.contains), Set(order).count == order.count,
              order == allowed.filter(order.contains)
        else { throw malformed("invalid XML declaration") }
        return Declaration(version: version, encoding: values["encoding"], standalone: values["standalone"])
    }

    /// Skips white space, comments and processing instructions; refuses markup declarations.
    private mutating func misc() throws(Failure) {
        while true {
            skipSpace()
            if looksAt("<!--") {
                try comment()
            } else if looksAt("<?") {
                try processingInstruction()
            } else if looksAt("<!") {
                throw markupDeclaration()
            } else {
                return
            }
        }
    }

    /// The failure for `<!…` that is neither a comment nor CDATA.
    private func markupDeclaration() -> Failure {
        let keyword = String(decoding: bytes[(position + 2)...].prefix(8), as: UTF8.self).uppercased()
        let refused = ["DOCTYPE", "ENTITY", "ELEMENT", "ATTLIST", "NOTATION"]
        return refused.contains(where: keyword.hasPrefix) ? .declarationRefused : malformed("unexpected markup declaration")
    }

    private mutating func comment() throws(Failure) {
        position += 4
        while let byte = peek {
            if byte == UInt8(ascii: "-") {
                if take("-->") { return }
                if looksAt("--") { throw malformed("'--' inside a comment") }
            }
            try checkCharacter()
        }
        throw malformed("unterminated comment")
    }

    private mutating func processingInstruction() throws(Failure) {
        position += 2
        guard let target = name() else { throw malformed("invalid processing instruction") }
        guard target.lowercased() != "xml" else { throw malformed("misplaced XML declaration") }
        while let byte = peek {
            if byte == UInt8(ascii: "?"), take("?>") { return }
            try checkCharacter()
        }
        throw malformed("unterminated processing instruction")
    }

    // MARK: - Elements

    private mutating func element(depth: Int) throws(Failure) -> XMLElement {
        guard depth <= limits.maxDepth else { throw malformed("elements nested deeper than \(limits.maxDepth) levels") }
        elementCount += 1
        guard elementCount <= limits.maxElements else {
            throw .overLimit("more than \(limits.maxElements) elements in the XML document", offset: position)
        }
        position += 1
        guard let elementName = qualifiedName() else { throw malformed("invalid element name") }
        var raw: [(name: String, value: String)] = []
        // The prefixes this element declares; a repeated plain attribute is found once names are resolved.
        var declared: Set<String> = []
        while true {
            let spaced = skipSpace() > 0
            if peek == UInt8(ascii: ">") || looksAt("/>") { break }
            guard raw.count < limits.maxAttributes else {
                throw .overLimit("more than \(limits.maxAttributes) attributes on one XML element", offset: position)
            }
            guard spaced, let attributeName = qualifiedName() else { throw malformed("invalid attribute") }
            skipSpace()
            guard take("=") else { throw malformed("expected '=' after an attribute name") }
            skipSpace()
            let value = try attributeValue()
            raw.append((attributeName, value))
            // A declaration applies to the element's own name and to all its attributes, whatever their order.
            if attributeName == "xmlns" {
                try declare("", value, into: &declared)
            } else if attributeName.hasPrefix("xmlns:") {
                let prefix = String(attributeName.dropFirst(6))
                guard !value.isEmpty, prefix != "xmlns", prefix != "xml" else { throw malformed("invalid namespace declaration") }
                try declare(prefix, value, into: &declared)
            }
        }
        let (namespace, localName) = try resolve(elementName, isAttribute: false)
        var attributes: [XMLAttribute] = []
        var resolvedNames: Set<XMLAttribute.Name> = []
        if raw.count > 1 { resolvedNames.reserveCapacity(raw.count) }
        for (attributeName, value) in raw where attributeName != "xmlns" && !attributeName.hasPrefix("xmlns:") {
            let (attributeNamespace, attributeLocal) = try resolve(attributeName, isAttribute: true)
            guard resolvedNames.insert(XMLAttribute.Name(namespace: attributeNamespace, localName: attributeLocal)).inserted else {
                throw malformed("duplicate attribute")
            }
            attributes.append(XMLAttribute(namespace: attributeNamespace, localName: attributeLocal, value: value))
        }
        var element = XMLElement(namespace: namespace, localName: localName, attributes: attributes, children: [])
        if take("/>") {
            endScope(declared)
            return element
        }
        position += 1
        try content(of: &element, elementName: elementName, depth: depth)
        endScope(declared)
        return element
    }

    /// Brings `prefix` into scope as `uri` until the element that declares it ends; a prefix declared twice on
    /// one element is a repeated attribute.
    private mutating func declare(_ prefix: String, _ uri: String, into declared: inout Set<String>) throws(Failure) {
        guard declared.insert(prefix).inserted else { throw malformed("duplicate attribute") }
        namespaces[prefix, default: []].append(uri)
    }

    /// Takes back the namespace declarations of an element that has ended.
    private mutating func endScope(_ declared: Set<String>) {
        for prefix in declared { namespaces[prefix]?.removeLast() }
    }

    /// Reads children up to and including the matching end tag.
    private mutating func content(of element: inout XMLElement, elementName: String, depth: Int) throws(Failure) {
        var text: [UInt8] = []
        func flush() {
            guard !text.isEmpty else { return }
            element.children.append(.text(String(decoding: text, as: UTF8.self)))
            text.removeAll()
        }
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "<"):
                if looksAt("</") {
                    position += 2
                    guard qualifiedName() == elementName else { throw malformed("mismatched end tag") }
                    skipSpace()
                    guard take(">") else { throw malformed("invalid end tag") }
                    flush()
                    return
                } else if looksAt("<!--") {
                    try comment()
                } else if looksAt("<![CDATA[") {
                    position += 9
                    try cdata(into: &text)
                } else if looksAt("<!") {
                    throw markupDeclaration()
                } else if looksAt("<?") {
                    try processingInstruction()
                } else {
                    flush()
                    element.children.append(.element(try self.element(depth: depth + 1)))
                }
            case UInt8(ascii: "&"):
                try reference(into: &text)
            case UInt8(ascii: "]") where looksAt("]]>"):
                throw malformed("']]>' in text")
            default:
                try literalCharacter(into: &text, inAttribute: false)
            }
        }
        throw malformed("unclosed element")
    }

    private mutating func cdata(into text: inout [UInt8]) throws(Failure) {
        while let byte = peek {
            if byte == UInt8(ascii: "]"), take("]]>") { return }
            try literalCharacter(into: &text, inAttribute: false)
        }
        throw malformed("unterminated CDATA section")
    }

    private mutating func attributeValue() throws(Failure) -> String {
        guard let quote = peek, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
            throw malformed("attribute values must be quoted")
        }
        position += 1
        // Most values are printable ASCII without references: taken as they stand, without a copy.
        var end = position
        while end < bytes.count, bytes[end] != quote, bytes[end] >= 0x20, bytes[end] < 0x80, bytes[end] != UInt8(ascii: "&"),
              bytes[end] != UInt8(ascii: "<") { end += 1 }
        if end < bytes.count, bytes[end] == quote {
            defer { position = end + 1 }
            return String(decoding: bytes[position..<end], as: UTF8.self)
        }
        var value = Array(bytes[position..<end])
        position = end
        while let byte = peek, byte != quote {
            if byte == UInt8(ascii: "<") { throw malformed("'<' in an attribute value") }
            if byte == UInt8(ascii: "&") {
                try reference(into: &value)
            } else {
                try literalCharacter(into: &value, inAttribute: true)
            }
        }
        guard peek == quote else { throw malformed("unterminated attribute value") }
        position += 1
        return String(decoding: value, as: UTF8.self)
    }

    // MARK: - Characters

    /// Copies one literal character, normalising line ends (and, in attributes, white space to spaces).
    private mutating func literalCharacter(into text: inout [UInt8], inAttribute: Bool) throws(Failure) {
        let start = position
        if bytes[start] >= 0x20, bytes[start] < 0x80 {
            // Printable ASCII, the common case: nothing to check or normalise.
            text.append(bytes[start])
            position += 1
            return
        }
        try checkCharacter()
        switch bytes[start] {
        case 0x0D:
            if peek == 0x0A { position += 1 }
            text.append(inAttribute ? 0x20 : 0x0A)
        case 0x0A, 0x09:
            text.append(inAttribute ? 0x20 : bytes[start])
        default:
            text.append(contentsOf: bytes[start..<position])
        }
    }

    /// Steps over one UTF-8 character after checking it is an XML 1.0 `Char`.
    private mutating func checkCharacter() throws(Failure) {
        let lead = bytes[position]
        if lead < 0x20, lead != 0x09, lead != 0x0A, lead != 0x0D { throw malformed("control character") }
        let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        if length == 3, bytes[position...].starts(with: [0xEF, 0xBF]), position + 2 < bytes.count, bytes[position + 2] >= 0xBE {
            throw malformed("U+FFFE or U+FFFF")
        }
        position = min(position + length, bytes.count)
    }

    /// Resolves `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xH;`; anything else is malformed.
    private mutating func reference(into text: inout [UInt8]) throws(Failure) {
        position += 1
        let start = position
        while let byte = peek, byte != UInt8(ascii: ";"), position - start < 12 { position += 1 }
        guard peek == UInt8(ascii: ";") else { throw malformed("invalid entity reference") }
        let body = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        if let replacement = XMLReader.predefinedEntities[body] {
            text.append(replacement)
            return
        }
        var scalarValue: UInt32? = nil
        if body.hasPrefix("#x"), (3...8).contains(body.count), body.dropFirst(2).allSatisfy({ $0.isASCII && $0.isHexDigit }) {
            scalarValue = UInt32(body.dropFirst(2), radix: 16)
        } else if body.hasPrefix("#"), (2...8).contains(body.count), body.dropFirst().allSatisfy({ ("0"..."9").contains($0) }) {
            scalarValue = UInt32(body.dropFirst(), radix: 10)
        } else {
            throw malformed("undefined entity")
        }
        guard let value = scalarValue, XMLReader.isXMLChar(value), let scalar = Unicode.Scalar(value) else {
            throw malformed("invalid character reference")
        }
        text.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    /// The five entities XML predefines, by name.
    private static let predefinedEntities: [String: UInt8] = [
        "lt": UInt8(ascii: "<"), "gt": UInt8(ascii: ">"), "amp": UInt8(ascii: "&"), "quot": UInt8(ascii: "\""),
        "apos": UInt8(ascii: "'"),
    ]

    /// XML 1.0 `Char`.
    static func isXMLChar(_ value: UInt32) -> Bool {
        value == 0x09 || value == 0x0A || value == 0x0D || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    // MARK: - Names

    private mutating func name() -> String? {
        let start = position
        while let byte = peek, XMLReader.isNameByte(byte, first: position == start) { position += 1 }
        guard position > start else { return nil }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A name with at most one `:`, which must separate two non-empty parts.
    private mutating func qualifiedName() -> String? {
        let start = position
        guard let name = name() else { return nil }
        var colon: Int? = nil
        for index in start..<position where bytes[index] == UInt8(ascii: ":") {
            guard colon == nil else { return nil }
            colon = index
        }
        if let colon {
            guard colon > start, colon + 1 < position, XMLReader.isNameByte(bytes[colon + 1], first: true) else { return nil }
        }
        return name
    }

    static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: ":"), 0x80...:
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return !first
        default:
            return false
        }
    }

    /// Splits a qualified name and resolves its prefix with the declarations in scope; unprefixed
    /// attributes have no namespace.
    private func resolve(_ qualifiedName: String, isAttribute: Bool) throws(Failure) -> (String, String) {
        guard let colon = qualifiedName.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            return (isAttribute ? "" : namespaces[""]?.last ?? "", qualifiedName)
        }
        guard let namespace = namespaces[String(qualifiedName[..<colon])]?.last else { throw malformed("undeclared namespace prefix") }
        return (namespace, String(qualifiedName[qualifiedName.utf8.index(after: colon)...]))
    }
}
