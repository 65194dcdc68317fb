/// Parses the `KEY=VALUE` files systemd's `EnvironmentFile=` reads: one assignment per line,
/// `#` or `;` comment lines, blank lines, optional `export `, values optionally in single or double quotes.
enum EnvironmentFile {
    static func parse(_ text: String) -> Result<[(String, String)], ConfigurationError> {
        var entries: [(String, String)] = []
        var problems: [String] = []
        // Split at the LF scalar: "\r\n" is one Character, so a Character split would keep a CR LF file whole.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            var line = String(String.UnicodeScalarView(rawLine)).trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append("line \(offset + 1) of the settings file is not KEY=VALUE")
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                problems.append("line \(offset + 1) of the settings file has an invalid key")
                continue
            }
            // Only THREEPAY_* names are echoed: a key or password pasted over several lines leaves lines
            // such as `c2VjcmV0=` that parse as a name, and that name is part of the secret.
            guard key.hasPrefix("THREEPAY_") else {
                problems.append("line \(offset + 1) of the settings file does not set a THREEPAY_* setting (the name is not shown)")
                continue
            }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" {
                    value = value.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"")
                }
            }
            entries.append((key, value))
        }
        return problems.isEmpty ? .success(entries) : .failure(ConfigurationError(problems: problems))
    }
}

import Foundation
