import Foundation

/// An RSA public key (at least 2048 bits) that verifies RSASSA-PKCS1-v1_5 + SHA-256 signatures.
///
/// Sendable argument: the wrapped `EVP_PKEY` is decoded once in `init` and never modified; each
/// `verify` uses its own freshly allocated OpenSSL contexts (see `RSAPrivateKey`). All stored
/// properties are `let`, so one instance is shared by all worker threads.
public final class RSAPublicKey: @unchecked Sendable {
    private let key: PKey
    /// One-line base64 of the DER SubjectPublicKeyInfo (the form Alipay's console shows and accepts).
    public let spkiBase64: String
    /// The modulus length in bits.
    public let bits: Int

    /// PEM "BEGIN PUBLIC KEY" (SPKI), bare base64 SPKI, or PEM "BEGIN RSA PUBLIC KEY" (PKCS#1).
    /// Throws `KeyError` (never echoing key material).
    public convenience init(text: String) throws {
        let keyText = try KeyText(text)
        try Self.checkLabel(keyText.label)
        guard let key = PKey.decodeSubjectPublicKeyInfo(der: keyText.der)
            ?? PKey.decodePKCS1Public(der: keyText.der)
        else {
            if PKey.decodePrivate(der: keyText.der) != nil { throw KeyError.privateKeyGivenAsPublic }
            throw KeyError.undecodable("not an X.509 SubjectPublicKeyInfo or PKCS#1 RSAPublicKey")
        }
        try self.init(validating: key)
    }

    /// Builds the key from DER SubjectPublicKeyInfo (used for the public half of a private key).
    convenience init(subjectPublicKeyInfo der: [UInt8]) throws(KeyError) {
        guard let key = PKey.decodeSubjectPublicKeyInfo(der: der) else {
            throw .undecodable("not an X.509 SubjectPublicKeyInfo")
        }
        try self.init(validating: key)
    }

    private init(validating key: PKey) throws(KeyError) {
        guard key.isRSA else { throw .notRSA(key.typeName) }
        guard key.bits >= RSAPrivateKey.minimumBits else {
            throw .tooSmall(bits: key.bits, minimum: RSAPrivateKey.minimumBits)
        }
        guard let spki = key.subjectPublicKeyInfoDER() else { throw .undecodable("cannot re-encode the key") }
        self.key = key
        self.bits = key.bits
        self.spkiBase64 = Data(spki).base64EncodedString()
    }

    /// True when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`. Thread-safe.
    public func verify(sha256 signature: [UInt8], message: [UInt8]) -> Bool {
        Digest.verify(key, signature: signature, message: message)
    }

    /// Refuses labels that are not public keys, before any decoding.
    private static func checkLabel(_ label: String?) throws(KeyError) {
        guard let label else { return }
        switch label {
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            return
        case _ where label.hasSuffix("PRIVATE KEY"):
            throw .privateKeyGivenAsPublic
        default:
            throw .unsupportedPEMLabel(label)
        }
    }
}
