import JSON

/// The string Alipay signs: parameters sorted by name, `name=value` joined by `&`.
public enum AlipayCanonical {
    /// Sorted by name as UTF-8 bytes; `sign` excluded; empty values skipped; values raw (not URL-encoded).
    ///
    /// - Parameter keepingEmptyValues: include `name=` for empty values (the notification rule of
    ///   Alipay's Java SDK, `rsaCheckV1`); requests never carry empty values, so the default skips them.
    public static func signingString(_ params: [String: String], keepingEmptyValues: Bool = false) -> String {
        params
            .filter { $0.key != "sign" && (keepingEmptyValues || !$0.value.isEmpty) }
            .sorted { byteOrder($0.key, $1.key) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Byte-wise ascending order of the UTF-8 forms (equal to code point order).
    static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

extension JSONNode {
    /// An object with its members in Alipay's canonical order (names sorted by UTF-8 bytes), as `biz_content`
    /// and the callback bodies are written.
    public static func sortedObject(_ members: [String: JSONNode]) -> JSONNode {
        .object(members.sorted { AlipayCanonical.byteOrder($0.key, $1.key) }.map { ($0.key, $0.value) })
    }
}
