import Alipay
import Foundation
import RSASigning
import XCTest

/// Verification of the asynchronous notification form.
final class NotificationTests: XCTestCase {
    private func verify(_ body: String, appID: String? = nil) throws -> [String: String] {
        try AlipayNotification.verify(formBody: Array(body.utf8), alipayPublicKey: try AlipayTestSupport.alipayPublicKey(),
                                      expectedAppID: appID ?? (try Fixtures.vectors().appID))
    }

    private func assertRejected(_ body: String, _ expected: AlipayNotificationError, appID: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try verify(body, appID: appID), file: file, line: line) { error in
            XCTAssertEqual(error as? AlipayNotificationError, expected, file: file, line: line)
        }
    }

    func testVectorVerifiesAndReturnsEveryFieldDecodedOnce() throws {
        let vector = try Fixtures.vectors().notification
        let fields = try verify(vector.formBody)
        XCTAssertEqual(fields, vector.fields)
        XCTAssertEqual(fields["passback_params"], "order%2F42 x", "decoded exactly once")
        XCTAssertEqual(fields["body"], "门店 A&B=1+1 50%")
        XCTAssertEqual(fields["fund_bill_list"], #"[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]"#)
        XCTAssertNil(fields["sign"])
        XCTAssertNil(fields["sign_type"])
    }

    func testCanonicalStringOfTheFieldsIsTheSDKString() throws {
        let vector = try Fixtures.vectors().notification
        XCTAssertEqual(AlipayCanonical.signingString(vector.fields), vector.stringToVerify)
    }

    func testTamperedAmountFails() throws {
        let body = try Fixtures.vectors().notification.formBody
        let tampered = body.replacingOccurrences(of: "total_amount=88.88", with: "total_amount=0.01")
        XCTAssertNotEqual(tampered, body)
        assertRejected(tampered, .invalidSignature)
    }

    func testSecondDecodingWouldBreakTheSignature() throws {
        let body = try Fixtures.vectors().notification.formBody
        assertRejected(body.replacingOccurrences(of: "order%252F42", with: "order%2F42"), .invalidSignature)
    }

    func testDuplicateFieldIsRejected() throws {
        let body = try Fixtures.vectors().notification.formBody
        assertRejected(body + "&total_amount=88.88", .duplicateField("total_amount"))
        assertRejected("sign=a&sign=b", .duplicateField("sign"))
    }

    func testSignatureAndSignTypeAreRequired() throws {
        let body = try Fixtures.vectors().notification.formBody
        let withoutSign = body.split(separator: "&").filter { !$0.hasPrefix("sign=") }.joined(separator: "&")
        assertRejected(withoutSign, .missingSignature)
        assertRejected(body.replacingOccurrences(of: "sign_type=RSA2", with: "sign_type=RSA"), .unsupportedSignType)
        let withoutType = body.split(separator: "&").filter { !$0.hasPrefix("sign_type=") }.joined(separator: "&")
        assertRejected(withoutType, .unsupportedSignType)
    }

    func testOtherAppIDIsRejectedAfterVerification() throws {
        assertRejected(try Fixtures.vectors().notification.formBody, .appIDMismatch, appID: "2021000000000001")
    }

    func testMalformedFormIsRejected() {
        assertRejected("a=%E6%94&sign=x", .malformedForm("form field is not UTF-8"))
        assertRejected("a=%G0", .malformedForm("form body has a malformed %-escape"))
    }

    func testEmptyFieldsVerifyWhetherOrNotTheyWereSigned() throws {
        var fields = try Fixtures.vectors().notification.fields
        fields["passback_params"] = ""
        let alipayKey = try RSAPrivateKey(text: try Fixtures.text("alipay_private_pkcs1.pem"))
        for keeping in [true, false] {
            let text = AlipayCanonical.signingString(fields, keepingEmptyValues: keeping)
            XCTAssertEqual(text.contains("&passback_params=&"), keeping)
            let sign = Data(try alipayKey.sign(sha256: Array(text.utf8))).base64EncodedString()
            let form = fields.merging(["sign": sign, "sign_type": "RSA2"]) { $1 }
            let verified = try verify(FormURLEncoding.encode(form.sorted { $0.key < $1.key }))
            XCTAssertEqual(verified, fields, "signed \(keeping ? "with" : "without") the empty field")
        }
    }

    func testNotificationSignedByTheMerchantKeyIsRejected() throws {
        let vector = try Fixtures.vectors().notification
        var fields = vector.fields
        let forged = try AlipaySigner(privateKey: try AlipayTestSupport.appKey()).sign(fields)
        fields["sign"] = forged
        fields["sign_type"] = "RSA2"
        assertRejected(FormURLEncoding.encode(fields.sorted { $0.key < $1.key }), .invalidSignature)
    }
}
