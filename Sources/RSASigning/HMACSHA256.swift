internal import COpenSSL

/// HMAC-SHA256, used to sign ThreePay's own callbacks to the business systems so that a receiver
/// holding the shared secret can trust them.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let keyBytes = key.isEmpty ? [0] : key
        _ = output.withUnsafeMutableBufferPointer { out in
            keyBytes.withUnsafeBufferPointer { keyBuffer in
                message.withUnsafeBufferPointer { input in
                    HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(key.count), input.baseAddress, input.count,
                         out.baseAddress, &length)
                }
            }
        }
        return Array(output.prefix(Int(length)))
    }

    /// The code as lower-case hexadecimal, as it travels in a header.
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        authenticationCode(key: key, message: message).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
