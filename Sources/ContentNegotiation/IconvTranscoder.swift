import Glibc

/// Converts bytes in a named charset to UTF-8 with glibc's iconv; refuses invalid or truncated input.
///
/// Pointers stay inside this file. Each call opens and closes its own conversion descriptor, so
/// there is no shared state between threads.
enum IconvTranscoder {
    enum Failure: Error, Equatable {
        /// iconv does not know the charset.
        case unknownCharset
        /// The bytes are not valid in the charset (or end mid-character).
        case invalidBytes
    }

    /// Transcodes `bytes` from `charset` to UTF-8.
    ///
    /// `charset` must be a plain name: letters, digits and `-_.:+` only, so iconv's `//IGNORE` and
    /// `//TRANSLIT` suffixes, which would silently drop or alter characters, cannot be requested.
    static func utf8(from bytes: [UInt8], charset: String) -> Result<[UInt8], Failure> {
        guard isPlainCharsetName(charset) else { return .failure(.unknownCharset) }
        let descriptor = iconv_open("UTF-8", charset)
        guard let descriptor, descriptor != iconv_t(bitPattern: -1) else { return .failure(.unknownCharset) }
        defer { iconv_close(descriptor) }
        var input = bytes
        // One input byte can become up to 12 bytes of UTF-8 (TSCII syllables); bodies are bounded by
        // THREEPAY_MAX_BODY, so this worst case stays small.
        var output = [UInt8](repeating: 0, count: bytes.count * 12 + 16)
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                convert(descriptor, inBuffer, outBuffer)
            }
        }
        guard let produced else { return .failure(.invalidBytes) }
        output.removeLast(output.count - produced)
        return .success(output)
    }

    /// Runs iconv over the whole input plus the final flush; the number of bytes written, or nil on any error.
    private static func convert(
        _ descriptor: iconv_t, _ input: UnsafeMutableBufferPointer<UInt8>, _ output: UnsafeMutableBufferPointer<UInt8>
    ) -> Int? {
        guard let outBase = output.baseAddress else { return nil }
        var inPointer: UnsafeMutablePointer<CChar>? = input.baseAddress.map {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)
        }
        var inLeft = input.count
        var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBase).assumingMemoryBound(to: CChar.self)
        var outLeft = output.count
        if inLeft > 0, iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { return nil }
        // Flush any shift state of stateful charsets.
        if iconv(descriptor, nil, nil, &outPointer, &outLeft) == -1 { return nil }
        guard inLeft == 0 else { return nil }
        return output.count - outLeft
    }

    static func isPlainCharsetName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 40
            && name.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || ("a"..."z").contains($0)
                || ("A"..."Z").contains($0) || "-_.:+".unicodeScalars.contains($0) }
    }
}
