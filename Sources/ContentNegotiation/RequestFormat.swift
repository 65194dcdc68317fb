/// The body formats the service reads.
public enum RequestFormat: Sendable, Hashable {
    case json
    case xml
    case form
    case bson

    /// Readers in the legacy formatter order (BSON was registered last), each with its media types.
    static let readers: [(RequestFormat, [MediaType])] = [
        (.json, [MediaType(type: "application", subtype: "json"), MediaType(type: "text", subtype: "json")]),
        (.xml, [MediaType(type: "application", subtype: "xml"), MediaType(type: "text", subtype: "xml")]),
        (.form, [MediaType(type: "application", subtype: "x-www-form-urlencoded")]),
        (.bson, [MediaType(type: "application", subtype: "bson")]),
    ]

    /// The reader for a request Content-Type: the first whose type the Content-Type covers
    /// (parameters ignored; so `*/*` and `application/*` pick JSON, `text/*` picks JSON too).
    public static func reader(for contentType: MediaType) -> RequestFormat? {
        readers.first(where: { _, types in types.contains { $0.covered(by: contentType) != nil } })?.0
    }
}
