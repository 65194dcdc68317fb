internal import COpenSSL

/// Owns one OpenSSL `EVP_PKEY`: decoded once, never modified afterwards, freed in `deinit`.
final class PKey {
    let pointer: OpaquePointer

    init(takingOwnershipOf pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Decodes a PKCS#8 `PrivateKeyInfo` or a traditional (PKCS#1 for RSA) private key; the ASN.1 decides.
    static func decodePrivate(der: [UInt8]) -> PKey? {
        decode(der) { cursor, length in d2i_AutoPrivateKey(nil, cursor, length) }
    }

    /// Decodes an X.509 `SubjectPublicKeyInfo`.
    static func decodeSubjectPublicKeyInfo(der: [UInt8]) -> PKey? {
        decode(der) { cursor, length in d2i_PUBKEY(nil, cursor, length) }
    }

    /// Decodes a PKCS#1 `RSAPublicKey` (the body of PEM "RSA PUBLIC KEY").
    static func decodePKCS1Public(der: [UInt8]) -> PKey? {
        decode(der) { cursor, length in d2i_PublicKey(EVP_PKEY_RSA, nil, cursor, length) }
    }

    /// True for plain RSA (`rsaEncryption`); RSA-PSS-only keys and other algorithms are false.
    var isRSA: Bool {
        EVP_PKEY_is_a(pointer, "RSA") == 1
    }

    /// OpenSSL's short name of the key type, e.g. `EC`, `RSA-PSS`, `ED25519`.
    var typeName: String {
        guard let name = EVP_PKEY_get0_type_name(pointer) else { return "unknown algorithm" }
        return String(cString: name)
    }

    /// The modulus length in bits.
    var bits: Int {
        Int(EVP_PKEY_get_bits(pointer))
    }

    /// The DER `SubjectPublicKeyInfo` of this key (public half only).
    func subjectPublicKeyInfoDER() -> [UInt8]? {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else {
            ERR_clear_error()
            return nil
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        return written == length ? der : nil
    }

    /// Runs one `d2i_*` call and insists that it consumed every byte (no trailing data).
    ///
    /// Decoders that fail push entries onto this thread's OpenSSL error queue; they are popped
    /// again so that a later, unrelated OpenSSL user on the thread (e.g. libcurl's TLS) starts clean.
    private static func decode(
        _ der: [UInt8],
        _ body: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?
    ) -> PKey? {
        ERR_set_mark()
        defer { ERR_pop_to_mark() }
        return der.withUnsafeBufferPointer { buffer -> PKey? in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let decoded = withUnsafeMutablePointer(to: &cursor) { body($0, buffer.count) }
            guard let key = decoded else { return nil }
            guard cursor == base + buffer.count else {
                EVP_PKEY_free(key)
                return nil
            }
            return PKey(takingOwnershipOf: key)
        }
    }
}
