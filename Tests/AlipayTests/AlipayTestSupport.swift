import Alipay
import Foundation
import PaymentModel
import RSASigning
import XCTest

/// Shared setup for Alipay client tests: fixture keys, the vectors' fixed instants.
enum AlipayTestSupport {
    static let outTradeNo = "TP20240601120000000001"
    /// 2024-06-01 12:00:00 in China (04:00:00 UTC).
    static let precreateInstant = Date(timeIntervalSince1970: 1_717_214_400)
    /// 2024-06-01 12:05:00 in China.
    static let queryInstant = Date(timeIntervalSince1970: 1_717_214_700)

    static func appKey() throws -> RSAPrivateKey {
        try RSAPrivateKey(text: try Fixtures.text("app_private_pkcs1.pem"))
    }

    static func alipayPublicKey() throws -> RSAPublicKey {
        try RSAPublicKey(text: try Fixtures.text("alipay_public.pem"))
    }

    static func configuration(notifyURL: String? = "https://pay.example.com/api/3Pay/AliPay/Notify",
                              appAuthToken: String? = nil, at instant: Date = precreateInstant,
                              gatewayURL: String = "https://openapi.example.invalid/gateway.do") throws
        -> AlipayConfiguration {
        AlipayConfiguration(gatewayURL: gatewayURL, appID: try Fixtures.vectors().appID,
                            appPrivateKey: try appKey(), alipayPublicKey: try alipayPublicKey(),
                            notifyURL: notifyURL, appAuthToken: appAuthToken, clock: { instant })
    }

    /// A client answering every call with the body of a response vector.
    static func client(answering vector: String) throws -> (AlipayClient, ScriptedTransport) {
        let transport = ScriptedTransport(answering: try Fixtures.vectors().response(vector).responseBody)
        return (AlipayClient(configuration: try configuration(), transport: transport), transport)
    }

    static func money(_ text: String) throws -> Money {
        try XCTUnwrap(Money(exactly: text))
    }
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertAlipayError<T>(_ expected: AlipayError, _ body: () throws(AlipayError) -> T,
                             file: StaticString = #filePath, line: UInt = #line) {
    do {
        let value = try body()
        XCTFail("expected \(expected), got \(value)", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}
