import Foundation

/// Key text split into its optional PEM label and the DER bytes it carries.
///
/// Only the armour is handled here; what the bytes *are* is decided later by ASN.1 decoding.
struct KeyText {
    /// The PEM label (`RSA PRIVATE KEY`, `PRIVATE KEY`, `PUBLIC KEY` …), or nil for bare base64.
    let label: String?
    /// The decoded DER bytes.
    var der: [UInt8]

    /// Accepts one PEM block, or bare base64 on one line or wrapped; whitespace anywhere is ignored.
    init(_ text: String) throws(KeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty }
        if trimmed.hasPrefix("-----BEGIN ") {
            let block = try Self.pemBlock(trimmed)
            label = block.label
            der = try Self.decodeBase64(block.body)
        } else if trimmed.contains("-----") {
            throw .notKeyText("PEM armour must start the text")
        } else {
            label = nil
            der = try Self.decodeBase64(Substring(trimmed))
        }
    }

    /// Overwrites the decoded bytes; used once a private key has been parsed.
    mutating func wipe() {
        for index in der.indices { der[index] = 0 }
    }

    private static func pemBlock(_ text: String) throws(KeyError) -> (label: String, body: Substring) {
        let lines = text.split(whereSeparator: \.isNewline)
        guard let first = lines.first, first.hasSuffix("-----") else {
            throw .notKeyText("malformed PEM BEGIN line")
        }
        let label = String(first.dropFirst("-----BEGIN ".count).dropLast("-----".count))
        guard isPrintableLabel(label) else { throw .notKeyText("malformed PEM label") }
        let end = "-----END \(label)-----"
        guard let endIndex = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == end }) else {
            throw .notKeyText("PEM END line missing or does not match the BEGIN line")
        }
        guard endIndex == lines.count - 1 else { throw .notKeyText("text follows the PEM END line") }
        var body = ""
        for line in lines[1..<endIndex] {
            // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED" mark a passphrase-protected PKCS#1 key.
            if line.contains(":") {
                if line.contains("ENCRYPTED") { throw .encrypted }
                throw .notKeyText("unexpected PEM header line")
            }
            body += line
        }
        return (label, Substring(body))
    }

    private static func isPrintableLabel(_ label: String) -> Bool {
        !label.isEmpty && label.count <= 40
            && label.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == " " }
    }

    private static func decodeBase64(_ body: Substring) throws(KeyError) -> [UInt8] {
        let compact = body.filter { !$0.isWhitespace }
        guard !compact.isEmpty else { throw .notKeyText("no base64 body") }
        guard let data = Data(base64Encoded: String(compact)) else {
            throw .notKeyText("body is not valid base64")
        }
        return [UInt8](data)
    }
}
