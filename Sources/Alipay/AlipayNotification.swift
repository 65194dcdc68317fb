import Foundation
import RSASigning

/// Why an asynchronous notification was rejected. Safe to log: names fields, never values.
public enum AlipayNotificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not a well-formed UTF-8 form.
    case malformedForm(String)
    /// A field occurs more than once.
    case duplicateField(String)
    /// No `sign`, or it is not base64.
    case missingSignature
    /// `sign_type` is absent or not `RSA2`.
    case unsupportedSignType
    /// `charset` names something other than UTF-8.
    case unsupportedCharset
    /// The signature does not verify with the Alipay public key.
    case invalidSignature
    /// `app_id` is absent or not ours.
    case appIDMismatch

    public var description: String {
        switch self {
        case .malformedForm(let reason): "notification form malformed: \(reason)"
        case .duplicateField(let name): "notification field \(name) appears twice"
        case .missingSignature: "notification carries no usable sign"
        case .unsupportedSignType: "notification sign_type is not RSA2"
        case .unsupportedCharset: "notification charset is not UTF-8"
        case .invalidSignature: "notification signature does not verify"
        case .appIDMismatch: "notification app_id is not ours"
        }
    }
}

/// Verifies the form Alipay POSTs to `notify_url`.
public enum AlipayNotification {
    /// Decodes the body exactly once, rejects duplicate fields, drops `sign` and `sign_type`,
    /// verifies the RSA2 signature over all remaining fields in canonical order, then checks `app_id`.
    ///
    /// Empty fields are kept in the signed text, as Alipay's Java SDK does. Whether Alipay itself
    /// signs them is unconfirmed, so when a notification has empty fields and that check fails,
    /// the text without them is tried once; both texts are signed by Alipay, so neither lowers the bar.
    ///
    /// - Returns: every field except `sign` and `sign_type`, values exactly as decoded.
    ///   The caller still checks `out_trade_no`, `total_amount` and `seller_id` against its order.
    public static func verify(formBody: [UInt8], alipayPublicKey: RSAPublicKey,
                              expectedAppID: String) throws(AlipayNotificationError) -> [String: String] {
        let pairs: [(String, String)]
        do { pairs = try FormURLEncoding.decode(formBody) } catch { throw .malformedForm(error.description) }
        var fields: [String: String] = [:]
        for (name, value) in pairs {
            guard fields.updateValue(value, forKey: name) == nil else {
                throw .duplicateField(name.count <= 64 ? name : String(name.prefix(64)) + "…")
            }
        }
        guard let sign = fields.removeValue(forKey: "sign"), let decoded = Data(base64Encoded: sign) else {
            throw .missingSignature
        }
        guard fields.removeValue(forKey: "sign_type") == "RSA2" else { throw .unsupportedSignType }
        if let charset = fields["charset"], !["utf-8", "utf8"].contains(charset.lowercased()) {
            throw .unsupportedCharset
        }
        guard verifies([UInt8](decoded), fields, alipayPublicKey) else { throw .invalidSignature }
        guard fields["app_id"] == expectedAppID else { throw .appIDMismatch }
        return fields
    }

    /// Checks the signature over all fields, then (only if some are empty) over the non-empty ones.
    private static func verifies(_ signature: [UInt8], _ fields: [String: String], _ key: RSAPublicKey) -> Bool {
        let allFields = AlipayCanonical.signingString(fields, keepingEmptyValues: true)
        if key.verify(sha256: signature, message: Array(allFields.utf8)) { return true }
        guard fields.values.contains("") else { return false }
        return key.verify(sha256: signature, message: Array(AlipayCanonical.signingString(fields).utf8))
    }
}
