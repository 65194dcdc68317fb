import JSON

/// Splits an `application/x-www-form-urlencoded` body into raw key and value bytes.
///
/// Pairs are split on `&`, key from value on the first `=` (a key without `=` gets an empty value);
/// `+` becomes a space, then `%XX` becomes that byte. A `%` not followed by two hex digits stays as
/// it is, as the legacy parser left it; `%uXXXX` is not decoded. Charset decoding happens afterwards.
enum FormReader {
    /// A body with more than the allowed number of pairs; `offset` is where the first one too many starts.
    struct TooManyPairs: Error {
        let offset: Int
    }

    /// The pairs in body order; stops at the first pair beyond `maxPairs`.
    static func pairs(_ body: [UInt8], maxPairs: Int) -> Result<[(key: [UInt8], value: [UInt8])], TooManyPairs> {
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        var start = body.startIndex
        while start < body.endIndex {
            let end = body[start...].firstIndex(of: UInt8(ascii: "&")) ?? body.endIndex
            if end > start {
                guard pairs.count < maxPairs else { return .failure(TooManyPairs(offset: start)) }
                pairs.append(pair(body[start..<end]))
            }
            start = end + 1
        }
        return .success(pairs)
    }

    /// One `key=value` segment, both sides percent-decoded.
    static func pair(_ segment: ArraySlice<UInt8>) -> (key: [UInt8], value: [UInt8]) {
        if let equals = segment.firstIndex(of: UInt8(ascii: "=")) {
            return (percentDecode(segment[..<equals]), percentDecode(segment[(equals + 1)...]))
        }
        return (percentDecode(segment), [])
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
