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
        // Room for two-byte CJK characters becoming three bytes of UTF-8; what expands more (one TSCII byte can
        // become 12) finds the buffer full (E2BIG) and is converted again with twice the room.
        var capacity = bytes.count + bytes.count / 2 + 16
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            let outcome = input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in convert(descriptor, inBuffer, outBuffer) }
            }
            switch outcome {
            case .converted(let produced):
                output.removeLast(output.count - produced)
                return .success(output)
            case .outputFull:
                // Start again rather than resume: glibc's TSCII converter (2.36) repeats and drops characters
                // of a syllable when the output fills up in the middle of one. Every attempt converts at most
                // its buffer's worth and the buffers double, so all attempts together stay linear in the output.
                capacity *= 2
                _ = iconv(descriptor, nil, nil, nil, nil)
            case .invalid:
                return .failure(.invalidBytes)
            }
        }
    }

    private enum Outcome {
        /// The whole input, and the final flush, fitted; this many bytes were written.
        case converted(Int)
        /// The output buffer filled up first (`E2BIG`).
        case outputFull
        /// Invalid or truncated input.
        case invalid
    }

    /// Runs iconv over the whole input plus the final flush (which writes the shift state of stateful charsets).
    private static func convert(
        _ descriptor: iconv_t, _ input: UnsafeMutableBufferPointer<UInt8>, _ output: UnsafeMutableBufferPointer<UInt8>
    ) -> Outcome {
        guard let outBase = output.baseAddress else { return .invalid }
        var inPointer: UnsafeMutablePointer<CChar>? = input.baseAddress.map {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)
        }
        var inLeft = input.count
        var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBase).assumingMemoryBound(to: CChar.self)
        var outLeft = output.count
        if inLeft > 0, iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft) == -1 {
            return errno == E2BIG ? .outputFull : .invalid
        }
        if iconv(descriptor, nil, nil, &outPointer, &outLeft) == -1 {
            return errno == E2BIG ? .outputFull : .invalid
        }
        return inLeft == 0 ? .converted(output.count - outLeft) : .invalid
    }

    static func isPlainCharsetName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 40
            && name.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || ("a"..."z").contains($0)
                || ("A"..."Z").contains($0) || "-_.:+".unicodeScalars.contains($0) }
    }
}
