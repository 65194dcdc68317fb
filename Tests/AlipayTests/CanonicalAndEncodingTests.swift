import Alipay
import Foundation
import JSON
import XCTest

/// Canonical string, biz_content JSON and form encoding.
final class CanonicalAndEncodingTests: XCTestCase {
    func testCanonicalStringSkipsEmptyValuesAndSignAndSortsByBytes() {
        let params = ["b": "2", "a_b": "3", "ab": "4", "Z": "upper", "sign": "xyz", "sign_type": "RSA2",
                      "empty": "", "a": "raw value/with=&+ chars"]
        XCTAssertEqual(AlipayCanonical.signingString(params),
                       "Z=upper&a=raw value/with=&+ chars&a_b=3&ab=4&b=2&sign_type=RSA2")
    }

    func testCanonicalStringMatchesTheSDKForBothRequestVectors() throws {
        let vectors = try Fixtures.vectors()
        for name in ["precreate", "query_isv"] {
            let vector = try vectors.request(name)
            XCTAssertEqual(AlipayCanonical.signingString(vector.params), vector.stringToSign, name)
            XCTAssertEqual(AlipayCanonical.signingString(vector.params.merging(["sign": vector.sign]) { $1 }),
                           vector.stringToSign, "sign is never part of the signed text")
        }
    }

    func testSignerReproducesTheSDKSignatureAndVerifiesIt() throws {
        let vector = try Fixtures.vectors().request("query_isv")
        let signer = AlipaySigner(privateKey: try AlipayTestSupport.appKey())
        XCTAssertEqual(try signer.sign(vector.params), vector.sign)
        let appPublic = try AlipayTestSupport.appKey().publicKey
        XCTAssertTrue(AlipaySigner.verify(vector.params.merging(["sign": vector.sign]) { $1 }, publicKey: appPublic))
        var tampered = vector.params.merging(["sign": vector.sign]) { $1 }
        tampered["timestamp"] = "2024-06-01 12:05:01"
        XCTAssertFalse(AlipaySigner.verify(tampered, publicKey: appPublic))
    }

    func testBizContentIsCompactSortedAndEscapedLikeTheSDK() throws {
        let vector = try Fixtures.vectors().request("precreate")
        let value = JSONNode.sortedObject([
            "total_amount": .string("88.88"),
            "out_trade_no": .string(AlipayTestSupport.outTradeNo),
            "subject": .string("测试商品-扫码支付"),
            "body": .string("Bean \"A\" \\ 1/2\tend"),
            "timeout_express": .string("15m"),
            "qr_code_timeout_express": .string("10m"),
        ])
        XCTAssertEqual(value.compactText, vector.params["biz_content"])
    }

    func testJSONWriterEscapesControlCharactersAndCanEscapeSlashes() {
        let value = JSONNode.sortedObject(["b": .array([.number("-5"), .bool(true), .null]),
                                           "a": .string("x/y\u{01}\u{08}\u{0C}\r\n\u{1F}é")])
        XCTAssertEqual(value.compactText, "{\"a\":\"x/y\\u0001\\b\\f\\r\\n\\u001fé\",\"b\":[-5,true,null]}")
        XCTAssertEqual(JSONWriter.text(.string("https://qr.alipay.com/x"), escapingSlashes: true),
                       "\"https:\\/\\/qr.alipay.com\\/x\"")
    }

    func testFormEncodingEncodesEverythingButUnreservedCharacters() {
        XCTAssertEqual(FormURLEncoding.encodeComponent("aZ09-_.~"), "aZ09-_.~")
        XCTAssertEqual(FormURLEncoding.encodeComponent("a+b/c=d e&f"), "a%2Bb%2Fc%3Dd%20e%26f")
        XCTAssertEqual(FormURLEncoding.encodeComponent("支"), "%E6%94%AF")
        XCTAssertEqual(FormURLEncoding.encode([("sign", "ab+/=="), ("k", "")]), "sign=ab%2B%2F%3D%3D&k=")
    }

    func testFormDecodingDecodesExactlyOnce() throws {
        let pairs = try FormURLEncoding.decode(Array("a=1+2%2B3&b=%25252F&&c&d=%E6%94%AF".utf8))
        XCTAssertEqual(pairs.map(\.0), ["a", "b", "c", "d"])
        XCTAssertEqual(pairs.map(\.1), ["1 2+3", "%252F", "", "支"])
        XCTAssertThrowsError(try FormURLEncoding.decode(Array("a=%2".utf8)))
        XCTAssertThrowsError(try FormURLEncoding.decode(Array("a=%zz".utf8)))
        XCTAssertThrowsError(try FormURLEncoding.decode(Array("a=%FF".utf8)))
        XCTAssertThrowsError(try FormURLEncoding.decode(Array("=x".utf8)))
    }

    func testFormEncodingRoundTripsArbitraryText() throws {
        let text = "q=1&r=2 + 3/4 %41 测试\t\n\"\\"
        let decoded = try FormURLEncoding.decode(Array(FormURLEncoding.encode([(text, text)]).utf8))
        XCTAssertEqual(decoded.first?.0, text)
        XCTAssertEqual(decoded.first?.1, text)
    }
}
