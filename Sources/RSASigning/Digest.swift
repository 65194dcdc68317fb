internal import COpenSSL

/// One-shot RSASSA-PKCS1-v1_5 with SHA-256, each call on its own fresh `EVP_MD_CTX`.
///
/// Nothing here writes to the `EVP_PKEY`: OpenSSL keeps per-operation state in the context,
/// which is created and freed inside the call, so concurrent calls on one key do not share state.
enum Digest {
    /// Signs `message`; throws OpenSSL's reason on failure.
    static func sign(_ key: PKey, message: [UInt8]) throws(KeyError) -> [UInt8] {
        ERR_set_mark()
        defer { ERR_pop_to_mark() }
        guard let context = EVP_MD_CTX_new() else { throw .signingFailed("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestSignInit(context, &keyContext, EVP_sha256(), nil, key.pointer) == 1,
              EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1
        else { throw .signingFailed(lastReason()) }
        var length = 0
        let sized = message.withUnsafeBufferPointer { input in
            EVP_DigestSign(context, nil, &length, input.baseAddress, input.count)
        }
        guard sized == 1, length > 0 else { throw .signingFailed(lastReason()) }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = signature.withUnsafeMutableBufferPointer { output in
            message.withUnsafeBufferPointer { input in
                EVP_DigestSign(context, output.baseAddress, &length, input.baseAddress, input.count)
            }
        }
        guard signed == 1 else { throw .signingFailed(lastReason()) }
        return Array(signature.prefix(length))
    }

    /// Verifies `signature` over `message`; any failure (including malformed input) is `false`.
    static func verify(_ key: PKey, signature: [UInt8], message: [UInt8]) -> Bool {
        guard !signature.isEmpty else { return false }
        ERR_set_mark()
        defer { ERR_pop_to_mark() }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, key.pointer) == 1,
              EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1
        else { return false }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { input in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, input.baseAddress, input.count)
            }
        }
        return result == 1
    }

    /// OpenSSL's reason text for the most recent error on this thread (no key data, only a reason).
    private static func lastReason() -> String {
        let code = ERR_peek_last_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "unknown OpenSSL error" }
        return String(cString: reason)
    }
}
