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
    /// The line is split on its bytes, so only the name and the value become Strings.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        if bytes.starts(with: "HTTP/".utf8) {
            headers = []
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = ReplyCollector.trimmedText(bytes[..<colon])
        guard !name.isEmpty else { return }
        headers.append((name, ReplyCollector.trimmedText(bytes[(colon + 1)...])))
    }

    /// The bytes as text, without the spaces, tabs and line breaks (the line's CRLF) around them.
    private static func trimmedText(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
        else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[first...last]), as: UTF8.self)
    }
}
