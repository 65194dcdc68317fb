import Alipay
import Foundation
import PaymentModel
import RSASigning
import XCTest

/// The reference vectors in ../shared/testvectors (beside the repository), when present.
final class SharedVectorTests: XCTestCase {
    private var folder: URL!
    private var vectors: [String: Any]!

    override func setUpWithError() throws {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        folder = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testvectors")
        let manifest = folder.appendingPathComponent("alipay-sign.json")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: manifest.path),
                          "shared test vectors not found at ../shared/testvectors")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any]
        vectors = try XCTUnwrap(root?["vectors"] as? [String: Any])
    }

    private func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    private func vector(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(vectors[name] as? [String: Any], name)
    }

    func testRequestVectorsAreReproducedWithEveryKeyForm() throws {
        let appPublic = try RSAPublicKey(text: try text("app_public.oneline.txt"))
        for name in ["request_precreate", "request_query_isv"] {
            let vector = try vector(name)
            let params = try XCTUnwrap(vector["params"] as? [String: String])
            let expected = try XCTUnwrap(vector["sign"] as? String)
            XCTAssertEqual(AlipayCanonical.signingString(params), vector["string_to_sign"] as? String, name)
            for file in ["app_private_pkcs1.pem", "app_private_pkcs8.pem", "app_private_pkcs1.oneline.txt",
                         "app_private_pkcs8.oneline.txt"] {
                let signer = AlipaySigner(privateKey: try RSAPrivateKey(text: try text(file)))
                XCTAssertEqual(try signer.sign(params), expected, "\(name) with \(file)")
            }
            XCTAssertTrue(AlipaySigner.verify(params.merging(["sign": expected]) { $1 }, publicKey: appPublic))
        }
    }

    func testSyncResponseVerifiesOnlyAsReceived() throws {
        let vector = try vector("sync_response_precreate")
        let body = try XCTUnwrap(vector["response_body"] as? String)
        let node = try AlipayResponseExtractor.extract(body: Array(body.utf8), method: AlipayMethod.precreate)
        XCTAssertEqual(node.text, vector["signed_substring"] as? String)
        XCTAssertEqual(node.sign, vector["sign"] as? String)
        let alipayPublic = try RSAPublicKey(text: try text("alipay_public.pem"))
        let signature = [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(node.sign))))
        XCTAssertTrue(alipayPublic.verify(sha256: signature, message: node.bytes))
        XCTAssertFalse(alipayPublic.verify(sha256: signature, message: Array(node.text
            .replacingOccurrences(of: "\\/", with: "/").utf8)))
        XCTAssertFalse(alipayPublic.verify(sha256: signature, message: Array(node.text
            .replacingOccurrences(of: "10000", with: "10001").utf8)))

        let configuration = AlipayConfiguration(
            gatewayURL: "https://openapi.example.invalid/gateway.do", appID: "2021000000000001",
            appPrivateKey: try RSAPrivateKey(text: try text("app_private_pkcs8.pem")), alipayPublicKey: alipayPublic)
        let client = AlipayClient(configuration: configuration, transport: ScriptedTransport(answering: body))
        let result = try client.precreate(outTradeNo: "T20240601000001", totalAmount: Money(fen: 8888), subject: "s")
        XCTAssertEqual(result.qrCode, "https://qr.alipay.com/bax00000testonly00000000")
    }

    func testNotificationVectorVerifies() throws {
        let vector = try vector("notify_trade_success")
        let body = try XCTUnwrap(vector["http_body_x_www_form_urlencoded"] as? String)
        let alipayPublic = try RSAPublicKey(text: try text("alipay_public.oneline.txt"))
        let fields = try AlipayNotification.verify(formBody: Array(body.utf8), alipayPublicKey: alipayPublic,
                                                   expectedAppID: "2021000000000001")
        XCTAssertEqual(AlipayCanonical.signingString(fields), vector["string_to_verify"] as? String)
        XCTAssertEqual(fields["subject"], "测试商品-扫码支付")
        let tampered = body.replacingOccurrences(of: "total_amount=88.88", with: "total_amount=0.01")
        XCTAssertThrowsError(try AlipayNotification.verify(formBody: Array(tampered.utf8), alipayPublicKey: alipayPublic,
                                                           expectedAppID: "2021000000000001")) { error in
            XCTAssertEqual(error as? AlipayNotificationError, .invalidSignature)
        }
    }
}
