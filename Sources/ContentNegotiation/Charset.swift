/// A charset name from a Content-Type or XML declaration, classified the way the service decodes it.
struct Charset: Equatable {
    /// The name as received, trimmed.
    let name: String
    let family: Family

    enum Family: Equatable {
        case utf8
        /// `utf-16` without a byte order: .NET meant little-endian; a BOM may override.
        case utf16
        case utf16LittleEndian
        case utf16BigEndian
        /// GBK, GB2312, GB18030 and their aliases: decoded as UTF-8 when valid, else as GB18030.
        case gbk
        /// Any other name, handed to iconv.
        case other(normalizedName: String)
    }

    init(_ raw: String) {
        name = raw.trimmingASCIIWhiteSpace()
        let key = Charset.normalizedKey(name)
        switch key {
        case "utf8": family = .utf8
        case "utf16", "unicode", "ucs2": family = .utf16
        case "utf16le", "unicodefffe": family = .utf16LittleEndian
        case "utf16be": family = .utf16BigEndian
        case "gbk", "gb2312", "gb18030", "cp936", "ms936", "windows936", "xgbk", "euccn", "csgb2312", "gb231280", "chinese":
            family = .gbk
        default: family = .other(normalizedName: key)
        }
    }

    /// Lower-cased with `-`, `_`, `.` and spaces removed: `UTF-8` and `utf8` compare equal.
    static func normalizedKey(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !"-_. ".unicodeScalars.contains($0) })
    }

    /// Whether a document decoded in this family may say `other` in its XML declaration.
    func agrees(withDeclared other: Charset) -> Bool {
        switch (family, other.family) {
        case (.utf8, .utf8), (.gbk, .gbk): return true
        case (.utf16, .utf16), (.utf16, .utf16LittleEndian), (.utf16, .utf16BigEndian),
             (.utf16LittleEndian, .utf16), (.utf16LittleEndian, .utf16LittleEndian),
             (.utf16BigEndian, .utf16), (.utf16BigEndian, .utf16BigEndian):
            return true
        case let (.other(mine), .other(theirs)): return mine == theirs
        default: return false
        }
    }

    /// Whether bytes in this charset keep ASCII bytes meaning ASCII (false for UTF-16/32 families).
    var isASCIICompatible: Bool {
        switch family {
        case .utf16, .utf16LittleEndian, .utf16BigEndian: return false
        case .utf8, .gbk: return true
        case let .other(key): return !(key.hasPrefix("utf16") || key.hasPrefix("utf32") || key.hasPrefix("ucs"))
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhiteSpace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
