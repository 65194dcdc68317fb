import Alipay
import CurlClient
import Foundation
import JSON
import PaymentModel
import RSASigning
import ThreePayApp
import XCTest

/// AlipayClient through CurlClient against a loopback stand-in gateway that checks the request
/// signature with the merchant public key and answers with a reply signed by the stand-in Alipay key.
final class AlipayOverCurlTests: XCTestCase {
    func testPrecreateRoundTripThroughCurl() throws {
        let appPublic = try RSAPublicKey(text: try Fixtures.text("app_public.pem"))
        let alipayKey = try RSAPrivateKey(text: try Fixtures.text("alipay_private_pkcs8.pem"))
        let server = try LoopbackHTTPServer { request in
            guard let pairs = try? FormURLEncoding.decode(request.body),
                  case let params = Dictionary(pairs, uniquingKeysWith: { first, _ in first }),
                  AlipaySigner.verify(params, publicKey: appPublic),
                  let biz = params["biz_content"].flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) })
                    as? [String: String],
                  let outTradeNo = biz["out_trade_no"]
            else {
                return .init(status: 200, body: Array(#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}"#.utf8))
            }
            let node = JSONWriter.text(.sortedObject([
                "code": .string("10000"), "msg": .string("Success"), "out_trade_no": .string(outTradeNo),
                "qr_code": .string("https://qr.alipay.com/bax\(outTradeNo)"),
            ]), escapingSlashes: true)
            let sign = (try? alipayKey.sign(sha256: Array(node.utf8))).map { Data($0).base64EncodedString() } ?? ""
            let body = #"{"alipay_trade_precreate_response":"# + node + #","sign":""# + sign + #""}"#
            return .init(status: 200, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(body.utf8))
        }
        defer { server.stop() }

        let transport = CurlTransport(client: try HTTPClient(totalTimeoutMilliseconds: 5000))
        let configuration = try AlipayTestSupport.configuration(
            at: Date(), gatewayURL: "http://127.0.0.1:\(server.port)/gateway.do")
        let client = AlipayClient(configuration: configuration, transport: transport)
        let result = try client.precreate(outTradeNo: "TPCURL0001", totalAmount: try AlipayTestSupport.money("0.01"),
                                          subject: "回环测试 + / = &")
        XCTAssertEqual(result.qrCode, "https://qr.alipay.com/baxTPCURL0001")
        XCTAssertEqual(server.requests.first?.header("Content-Type"), AlipayClient.formContentType)

        // A second call with a wrong Alipay public key must fail verification, over the same connection.
        var wrongKey = configuration
        wrongKey.alipayPublicKey = appPublic
        let strict = AlipayClient(configuration: wrongKey, transport: transport)
        XCTAssertAlipayError(.invalidSignature) { () throws(AlipayError) in
            try strict.precreate(outTradeNo: "TPCURL0002", totalAmount: Money(fen: 1), subject: "s")
        }
        XCTAssertEqual(server.connectionCount, 1)
    }

    func testRefusedGatewayIsOutcomeUnknown() throws {
        let (socket, port) = try LoopbackHTTPServer.listeningSocket(backlog: nil)
        close(socket)
        let transport = CurlTransport(client: try HTTPClient(connectTimeoutMilliseconds: 1000))
        let client = AlipayClient(configuration: try AlipayTestSupport.configuration(
            gatewayURL: "http://127.0.0.1:\(port)/gateway.do"), transport: transport)
        do {
            _ = try client.query(.outTradeNo("T1"))
            XCTFail("no gateway, yet an answer")
        } catch {
            guard case .outcomeUnknown(let cause, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(cause, .connection)
            XCTAssertTrue(reason.contains("not sent"), reason)
        }
    }
}
