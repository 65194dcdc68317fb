/// Accumulates one response's headers and body from curl's callbacks.
///
/// Reached from C through an unretained pointer that is valid only while `perform` runs.
final class ReplyCollector {
    private(set) var headers: [(String, String)] = []
    private(set) var body: [UInt8] = []
    /// True when the body exceeded `limit` and the transfer was aborted.
    private(set) var overflowed = false
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Appends body bytes; returns false (abort) once the size limit would be exceeded.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Records one raw header line; a status line starts a new response (after 1xx or a proxy CONNECT).
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingTrailingLineBreak()
        if line.hasPrefix("HTTP/") {
            headers = []
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingSpaces()
        let value = line[line.index(after: colon)...].trimmingSpaces()
        guard !name.isEmpty else { return }
        headers.append((name, value))
    }
}

extension StringProtocol {
    fileprivate func trimmingTrailingLineBreak() -> String {
        var text = Substring(self)
        while let last = text.unicodeScalars.last, last == "\r" || last == "\n" {
            text = Substring(text.unicodeScalars.dropLast())
        }
        return String(text)
    }

    fileprivate func trimmingSpaces() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }
        var end = scalars.endIndex
        while end > scalars.startIndex, [" ", "\t"].contains(scalars[scalars.index(before: end)]) {
            end = scalars.index(before: end)
        }
        return String(String.UnicodeScalarView(scalars[scalars.startIndex..<end]))
    }
}
