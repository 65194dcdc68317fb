internal import COpenSSL

/// SHA-256 of a byte string, by OpenSSL: used for the cashier page's Content-Security-Policy script and style
/// hashes.
public enum SHA256Digest {
    /// The 32-byte digest of `message`.
    public static func of(_ message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = output.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer { input in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(done == 1 && length == 32, "SHA-256 is always available in OpenSSL")
        return Array(output.prefix(Int(length)))
    }
}
