/// Text made safe for HTML and for JSON inside an HTML `<script>` element.
public enum HTMLText {
    /// Text for an element's content or a quoted attribute value: `& < > " '` as character references.
    public static func escaped(_ text: String) -> String {
        substituting(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }

    /// JSON text that may stand inside `<script type="application/json">`: `<`, `>` and `&` (which occur only
    /// inside JSON strings) become `\u003c`, `\u003e` and `\u0026`, so no `</script>` or `<!--` can end or bend
    /// the element; the JSON value read back is unchanged.
    public static func scriptSafeJSON(_ json: String) -> String {
        substituting(json) { scalar in
            switch scalar {
            case "<": "\\u003c"
            case ">": "\\u003e"
            case "&": "\\u0026"
            default: nil
            }
        }
    }

    /// `text` with each scalar `replacement` gives text for replaced by it.
    private static func substituting(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let substitute = replacement(scalar) {
                out += substitute
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
