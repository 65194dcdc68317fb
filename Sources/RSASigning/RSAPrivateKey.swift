/// An RSA private key (at least 2048 bits) that signs with RSASSA-PKCS1-v1_5 + SHA-256 ("RSA2").
///
/// Sendable argument: the wrapped `EVP_PKEY` is decoded once in `init` and never modified; every
/// `sign` call creates, uses and frees its own `EVP_MD_CTX`/`EVP_PKEY_CTX`, and OpenSSL 3 documents
/// `EVP_PKEY` as safe for concurrent read-only use. The self-test in `init` has already made
/// OpenSSL build any lazily cached provider form of the key, so no first use races to build it.
/// All stored properties are `let`; the class is therefore `@unchecked Sendable` and one
/// instance is shared by all worker threads.
public final class RSAPrivateKey: @unchecked Sendable {
    /// The smallest modulus accepted, per Alipay's key rules.
    public static let minimumBits = 2048

    private let key: PKey
    /// The matching public key (derived from the private key, so they always agree).
    public let publicKey: RSAPublicKey
    /// The modulus length in bits.
    public let bits: Int

    /// PEM PKCS#1 ("BEGIN RSA PRIVATE KEY"), PEM PKCS#8 ("BEGIN PRIVATE KEY"), or bare base64 of
    /// either (one line or wrapped; detected by ASN.1). Throws `KeyError` (never echoing key material).
    public init(text: String) throws {
        var keyText = try KeyText(text)
        defer { keyText.wipe() }
        try Self.checkLabel(keyText.label)
        guard let key = PKey.decodePrivate(der: keyText.der) else {
            if PKey.decodeSubjectPublicKeyInfo(der: keyText.der) != nil
                || PKey.decodePKCS1Public(der: keyText.der) != nil {
                throw KeyError.publicKeyGivenAsPrivate
            }
            throw KeyError.undecodable("not a PKCS#1 or PKCS#8 private key (encrypted keys are not supported)")
        }
        guard key.isRSA else { throw KeyError.notRSA(key.typeName) }
        guard key.bits >= Self.minimumBits else { throw KeyError.tooSmall(bits: key.bits, minimum: Self.minimumBits) }
        guard let spki = key.subjectPublicKeyInfoDER() else { throw KeyError.undecodable("public half not encodable") }
        self.key = key
        self.bits = key.bits
        self.publicKey = try RSAPublicKey(subjectPublicKeyInfo: spki)
        try selfTest()
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 over its SHA-256 digest. Thread-safe.
    public func sign(sha256 message: [UInt8]) throws -> [UInt8] {
        try Digest.sign(key, message: message)
    }

    /// Refuses labels that are not private keys, before any decoding.
    private static func checkLabel(_ label: String?) throws(KeyError) {
        guard let label else { return }
        switch label {
        case "RSA PRIVATE KEY", "PRIVATE KEY":
            return
        case "ENCRYPTED PRIVATE KEY":
            throw .encrypted
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            throw .publicKeyGivenAsPrivate
        case "EC PRIVATE KEY", "DSA PRIVATE KEY":
            throw .notRSA(String(label.prefix(while: { $0 != " " })))
        default:
            throw .unsupportedPEMLabel(label)
        }
    }

    /// Proves the key can sign and that its public half verifies the result.
    private func selfTest() throws(KeyError) {
        let probe = Array("ThreePay RSA2 self-test".utf8)
        let signature: [UInt8]
        do { signature = try Digest.sign(key, message: probe) } catch { throw .selfTestFailed }
        guard publicKey.verify(sha256: signature, message: probe) else { throw .selfTestFailed }
    }
}
