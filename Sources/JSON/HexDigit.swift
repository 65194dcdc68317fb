/// Hexadecimal digits as they appear in JSON `\u` escapes and in percent-encoding.
public enum HexDigit {
    /// The value 0…15 of one ASCII hex digit (either case), or nil.
    public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes every UTF-8 byte of `text` except the unreserved `A-Z a-z 0-9 - _ . ~` (RFC 3986), with
    /// upper-case hex digits: space becomes `%20`, `+ / =` become `%2B %2F %3D`.
    public static func percentEncoded(_ text: String) -> String {
        String(decoding: percentEncoded(bytes: Array(text.utf8)), as: UTF8.self)
    }

    /// The same for bytes in any encoding (a GBK form, say): every byte but the unreserved ones becomes `%XX`.
    public static func percentEncoded(bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(upperDigits[Int(byte >> 4)])
                output.append(upperDigits[Int(byte & 0x0F)])
            }
        }
        return output
    }

    private static let upperDigits = Array("0123456789ABCDEF".utf8)
}
