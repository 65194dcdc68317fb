/// Strict UTF-8 checking: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation.
enum UTF8Validation {
    /// Whether `bytes` is well-formed UTF-8 (RFC 3629).
    static func isValid<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        while let lead = iterator.next() {
            let count: Int
            var lowerBound: UInt8 = 0x80
            var upperBound: UInt8 = 0xBF
            switch lead {
            case 0x00...0x7F: continue
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; lowerBound = 0xA0          // excludes overlong 3-byte forms
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED: count = 2; upperBound = 0x9F          // excludes UTF-16 surrogates
            case 0xF0: count = 3; lowerBound = 0x90          // excludes overlong 4-byte forms
            case 0xF1...0xF3: count = 3
            case 0xF4: count = 3; upperBound = 0x8F          // nothing above U+10FFFF
            default: return false                             // 0x80…0xC1 and 0xF5…0xFF never lead
            }
            for index in 0..<count {
                guard let next = iterator.next() else { return false }
                let low: UInt8 = index == 0 ? lowerBound : 0x80
                let high: UInt8 = index == 0 ? upperBound : 0xBF
                guard (low...high).contains(next) else { return false }
            }
        }
        return true
    }
}
