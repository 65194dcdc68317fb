import Foundation
import RSASigning

/// Signs and verifies Alipay parameter sets with RSA2 (SHA256withRSA, base64 signatures).
public struct AlipaySigner: Sendable {
    public let privateKey: RSAPrivateKey

    public init(privateKey: RSAPrivateKey) {
        self.privateKey = privateKey
    }

    /// The base64 `sign` value for `params` (its own `sign` entry, if any, is ignored).
    public func sign(_ params: [String: String]) throws -> String {
        let message = Array(AlipayCanonical.signingString(params).utf8)
        return Data(try privateKey.sign(sha256: message)).base64EncodedString()
    }

    /// True when `params["sign"]` is a valid RSA2 signature of the other parameters.
    ///
    /// This is the request rule (`sign_type` is signed). For notifications use `AlipayNotification`,
    /// which also excludes `sign_type`.
    public static func verify(_ params: [String: String], publicKey: RSAPublicKey) -> Bool {
        guard let sign = params["sign"], let signature = Data(base64Encoded: sign) else { return false }
        let message = Array(AlipayCanonical.signingString(params).utf8)
        return publicKey.verify(sha256: [UInt8](signature), message: message)
    }
}
