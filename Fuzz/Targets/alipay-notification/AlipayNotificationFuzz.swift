import Alipay
import Foundation

/// One input: selector byte, then a notification form body.
/// - mode 0 (selector bit 7 clear): `AlipayNotification.verify` of the body as received (only bodies
///   signed with the fixture key, such as the seed, can pass, and then the `app_id` must be ours);
/// - mode 1 (bit 7 set): when the body decodes to distinct fields, the target signs them with the
///   fixture Alipay key (the text with empty values when bit 0 is clear, without when set) and
///   appends `sign` and `sign_type`; verification must then succeed unless `charset` or `app_id`
///   is refused, and must return exactly the decoded fields.
@_cdecl("LLVMFuzzerTestOneInput")
public func alipayNotificationFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = fuzzBytes(data, size).splitSelector() else { return 0 }
    if selector & 0x80 == 0 {
        if let fields = try? verify(body) {
            fuzzCheck(fields["app_id"] == FixtureKeys.appID, "a notification for another app_id verified")
            fuzzCheck(fields["sign"] == nil && fields["sign_type"] == nil, "sign or sign_type returned")
        }
    } else {
        signAndVerify(body, keepingEmptyValues: selector & 0x01 == 0)
    }
    return 0
}

private func verify(_ body: [UInt8]) throws(AlipayNotificationError) -> [String: String] {
    try AlipayNotification.verify(formBody: body, alipayPublicKey: FixtureKeys.alipayPublic,
                                  expectedAppID: FixtureKeys.appID)
}

/// Signs the decoded fields the way Alipay does and checks that verification accepts exactly them.
private func signAndVerify(_ body: [UInt8], keepingEmptyValues: Bool) {
    guard let pairs = try? FormURLEncoding.decode(body) else { return }
    var fields: [String: String] = [:]
    for (name, value) in pairs where fields.updateValue(value, forKey: name) != nil { return }
    guard fields["sign"] == nil, fields["sign_type"] == nil else { return }
    let text = AlipayCanonical.signingString(fields, keepingEmptyValues: keepingEmptyValues)
    guard let signature = try? FixtureKeys.alipayPrivate.sign(sha256: Array(text.utf8)) else { return }
    let suffix = FormURLEncoding.encode([("sign", Data(signature).base64EncodedString()), ("sign_type", "RSA2")])
    let signed = body + Array(("&" + suffix).utf8)
    do {
        let verified = try verify(signed)
        fuzzCheck(verified == fields, "verified fields differ from the decoded ones")
    } catch .unsupportedCharset {
        fuzzCheck(!["utf-8", "utf8"].contains(fields["charset"]?.lowercased() ?? "utf-8"), "UTF-8 charset refused")
    } catch .appIDMismatch {
        fuzzCheck(fields["app_id"] != FixtureKeys.appID, "our app_id refused")
    } catch {
        fuzzCheck(false, "a correctly signed notification was refused: \(error)")
    }
}
