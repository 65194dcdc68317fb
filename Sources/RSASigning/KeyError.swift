/// Why a key could not be loaded or used.
///
/// Every case is safe to print and log: none carries key text, base64, or DER bytes. Labels taken
/// from PEM armour are echoed only when they look like a label (upper-case letters, digits, spaces).
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text was empty or only whitespace.
    case empty
    /// The text is neither PEM nor base64 (the reason says which rule failed).
    case notKeyText(String)
    /// PEM armour names something that is not an RSA key this module reads, e.g. `CERTIFICATE`.
    case unsupportedPEMLabel(String)
    /// The key is encrypted with a passphrase; ThreePay expects an unencrypted key file with tight permissions.
    case encrypted
    /// A public key was given where a private key is needed.
    case publicKeyGivenAsPrivate
    /// A private key was given where a public key is needed.
    case privateKeyGivenAsPublic
    /// The decoded bytes are not the ASN.1 structure expected (the reason names it).
    case undecodable(String)
    /// The key belongs to another algorithm (EC, DSA, Ed25519, RSA-PSS …); Alipay RSA2 needs plain RSA.
    case notRSA(String)
    /// The modulus is shorter than the minimum Alipay accepts.
    case tooSmall(bits: Int, minimum: Int)
    /// The private key failed its sign-then-verify self-test.
    case selfTestFailed
    /// OpenSSL refused to sign; the text is OpenSSL's reason string.
    case signingFailed(String)

    public var description: String {
        switch self {
        case .empty: "key text is empty"
        case .notKeyText(let reason): "not a key: \(reason)"
        case .unsupportedPEMLabel(let label): "unsupported PEM block \"\(label)\" (expected an RSA key)"
        case .encrypted: "the key is encrypted; provide an unencrypted key file readable only by its owner"
        case .publicKeyGivenAsPrivate: "a public key was given where the private key is required"
        case .privateKeyGivenAsPublic: "a private key was given where a public key is required"
        case .undecodable(let reason): "key bytes do not decode: \(reason)"
        case .notRSA(let algorithm): "not an RSA key (\(algorithm)); Alipay RSA2 needs an RSA key"
        case .tooSmall(let bits, let minimum): "RSA key has \(bits) bits; at least \(minimum) are required"
        case .selfTestFailed: "the private key failed its sign/verify self-test"
        case .signingFailed(let reason): "signing failed: \(reason)"
        }
    }
}
