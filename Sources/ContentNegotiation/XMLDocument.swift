/// The parsed form of a small XML document: elements with resolved namespaces, and text.
struct XMLElement: Equatable {
    /// The namespace URI the element's prefix (or the default namespace) resolves to; "" for none.
    let namespace: String
    let localName: String
    let attributes: [XMLAttribute]
    var children: [XMLNode]

    /// The concatenated text when the element holds text only (comments aside); nil when it has child elements.
    var textContent: String? {
        var text = ""
        for child in children {
            guard case let .text(part) = child else { return nil }
            text += part
        }
        return text
    }

    /// The value of the attribute in `namespace` named `localName`.
    func attribute(namespace: String, localName: String) -> String? {
        attributes.first { $0.namespace == namespace && $0.localName == localName }?.value
    }
}

/// An attribute other than a namespace declaration.
struct XMLAttribute: Equatable {
    /// An expanded name (namespace URI and local name): two attributes of one element may not share one.
    struct Name: Hashable {
        let namespace: String
        let localName: String
    }

    let namespace: String
    let localName: String
    let value: String
}

/// Element content.
enum XMLNode: Equatable {
    case element(XMLElement)
    case text(String)
}

/// Namespace URIs the reader knows.
enum XMLNamespaces {
    static let xml = "http://www.w3.org/XML/1998/namespace"
    static let xmlns = "http://www.w3.org/2000/xmlns/"
    static let schemaInstance = "http://www.w3.org/2001/XMLSchema-instance"
}
