import JSON

/// Splits an `application/x-www-form-urlencoded` body into raw key and value bytes.
///
/// Pairs are split on `&`, key from value on the first `=` (a key without `=` gets an empty value);
/// `+` becomes a space, then `%XX` becomes that byte. A `%` not followed by two hex digits stays as
/// it is, as the legacy parser left it; `%uXXXX` is not decoded. Charset decoding happens afterwards.
enum FormReader {
    static func pairs(_ body: [UInt8]) -> [(key: [UInt8], value: [UInt8])] {
        body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { segment in
            if let equals = segment.firstIndex(of: UInt8(ascii: "=")) {
                return (percentDecode(segment[..<equals]), percentDecode(segment[(equals + 1)...]))
            }
            return (percentDecode(segment[...]), [])
        }
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                result.append(0x20)
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                      let high = HexDigit.value(bytes[index + 1]), let low = HexDigit.value(bytes[index + 2]) {
                result.append(high << 4 | low)
                index += 3
                continue
            } else {
                result.append(byte)
            }
            index += 1
        }
        return result
    }
}
