import PaymentModel

/// Reads a DataContract XML request body into contract members, more leniently than the legacy reader.
///
/// The root must be the schema's root name in its DataContract namespace or in no namespace (1001
/// otherwise). Members may come in any order and in either of those namespaces; names are
/// case-sensitive as DataContractSerializer's were, so `<BillNum>` is ignored like any unknown or
/// foreign-namespace element. The first occurrence of a member wins. `i:nil="true"` gives null,
/// `<billnum/>` gives "". Text is not trimmed. A member holding child elements, or non-space text
/// directly in the root, is refused (1001), as is a document over the depth, attribute or element counts of
/// `DecodingLimits`. DOCTYPE and other declarations are refused (1006).
///
/// Charset: a BOM wins; else the Content-Type charset; else the encoding the XML declaration names
/// (when the bytes are ASCII-compatible); else UTF-8. The declaration's encoding must then agree with
/// the decoding — or be a GBK-family name when the request declared a GBK-family charset (1003).
enum XMLBodyDecoder {
    static func decode(_ body: [UInt8], charset: Charset?, schema: RequestSchema, limits: DecodingLimits) -> Result<DecodedFields, ServiceError> {
        var declared = charset
        if declared == nil, TextDecoder.byteOrderMark(body) == nil, let sniffed = XMLReader.sniffEncoding(body).map(Charset.init),
           sniffed.isASCIICompatible {
            declared = sniffed
        }
        let text: TextDecoder.Decoded
        switch TextDecoder.decode(body, declared: declared, honourBOM: true) {
        case let .success(decoded): text = decoded
        case let .failure(error): return .failure(error)
        }
        guard !text.utf8.allSatisfy(XMLReader.isSpace) else { return .failure(.emptyBody) }
        let document: (declaration: XMLReader.Declaration?, root: XMLElement)
        do {
            document = try XMLReader.parse(text.utf8, limits: limits)
        } catch {
            switch error {
            case .declarationRefused:
                return .failure(.xmlDeclarationRefused)
            case let .malformed(reason, offset):
                return .failure(.bodyUnreadable("invalid XML, \(reason) (at byte \(offset))."))
            case let .overLimit(what, offset):
                return .failure(.overLimit(what, offset: offset))
            }
        }
        if let encoding = document.declaration?.encoding {
            let named = Charset(encoding)
            guard text.used.agrees(withDeclared: named) || (declared?.family == .gbk && named.family == .gbk) else {
                return .failure(
                    ServiceError(
                        .charsetInvalid,
                        message: "The encoding in the XML declaration '\(ServiceError.excerpt(encoding))' does not match "
                            + "the charset '\(text.used.name)' of the request body."
                    )
                )
            }
        }
        return bind(document.root, schema: schema)
    }

    static func bind(_ root: XMLElement, schema: RequestSchema) -> Result<DecodedFields, ServiceError> {
        let namespaces = [schema.xmlNamespace, ""]
        guard root.localName == schema.xmlRootName, namespaces.contains(root.namespace) else {
            return .failure(.bodyUnreadable("expecting element '\(schema.xmlRootName)' from namespace '\(schema.xmlNamespace)'."))
        }
        var values: [String: FieldValue] = [:]
        var seen: Set<String> = []
        for child in root.children {
            guard case let .element(element) = child else {
                if case let .text(text) = child, !text.utf8.allSatisfy(XMLReader.isSpace) {
                    return .failure(.bodyUnreadable("text directly inside '\(schema.xmlRootName)'."))
                }
                continue
            }
            let member = element.localName
            guard namespaces.contains(element.namespace), schema.memberNames.contains(member), !seen.contains(member) else { continue }
            seen.insert(member)
            if isNil(element) { continue }
            guard let text = element.textContent else {
                return .failure(.bodyUnreadable("the element '\(member)' must contain text only."))
            }
            values[member] = .text(text)
        }
        return .success(DecodedFields(format: .xml, values: values))
    }

    /// `i:nil="true"` (or `"1"`) in the XML Schema instance namespace.
    static func isNil(_ element: XMLElement) -> Bool {
        guard let value = element.attribute(namespace: XMLNamespaces.schemaInstance, localName: "nil") else { return false }
        let flag = value.trimmingASCIIWhiteSpace()
        return flag == "true" || flag == "1"
    }
}
