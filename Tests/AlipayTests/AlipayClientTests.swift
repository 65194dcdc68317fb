import Alipay
import Foundation
import PaymentModel
import RSASigning
import XCTest

/// AlipayClient end to end over a scripted transport: exact request bytes, reply handling.
final class AlipayClientTests: XCTestCase {
    private typealias Support = AlipayTestSupport

    func testPrecreateSendsTheSDKVectorByteForByte() throws {
        let vectors = try Fixtures.vectors()
        let transport = ScriptedTransport(answering: try vectors.response("precreate_success").responseBody)
        let client = AlipayClient(configuration: try Support.configuration(), transport: transport)
        let result = try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: try Support.money("88.88"),
                                          subject: "测试商品-扫码支付", body: "Bean \"A\" \\ 1/2\tend",
                                          timeoutExpress: "15m", qrCodeTimeoutExpress: "10m")
        XCTAssertEqual(transport.lastBody, try vectors.request("precreate").formBody)
        XCTAssertEqual(transport.sent.last?.url, "https://openapi.example.invalid/gateway.do")
        XCTAssertEqual(result, PrecreateResult(outTradeNo: Support.outTradeNo,
                                               qrCode: "https://qr.alipay.com/bax03431ljhokirwl38f00a7"))
    }

    func testSignedParametersEqualTheVectorForEveryKeyForm() throws {
        let vector = try Fixtures.vectors().request("query_isv")
        for file in ["app_private_pkcs1.pem", "app_private_pkcs8.pem", "app_private_pkcs1.oneline.txt",
                     "app_private_pkcs8.oneline.txt"] {
            var configuration = try Support.configuration(notifyURL: nil, appAuthToken: "202406BBdummyAppAuthToken0042",
                                                          at: Support.queryInstant)
            configuration.appPrivateKey = try RSAPrivateKey(text: try Fixtures.text(file))
            let client = AlipayClient(configuration: configuration, transport: ScriptedTransport([]))
            let params = try client.signedParameters(method: AlipayMethod.query,
                                                     bizContent: ["out_trade_no": .string(Support.outTradeNo)])
            XCTAssertEqual(params, vector.params.merging(["sign": vector.sign]) { $1 }, file)
        }
    }

    func testQueryWithAppAuthTokenSendsTheVectorAndReadsVerifiedFields() throws {
        let vectors = try Fixtures.vectors()
        let transport = ScriptedTransport(answering: try vectors.response("query_success").responseBody)
        let configuration = try Support.configuration(notifyURL: nil, appAuthToken: "202406BBdummyAppAuthToken0042",
                                                      at: Support.queryInstant)
        let result = try AlipayClient(configuration: configuration, transport: transport)
            .query(.outTradeNo(Support.outTradeNo))
        XCTAssertEqual(transport.lastBody, try vectors.request("query_isv").formBody)
        XCTAssertEqual(result.tradeStatus, .success)
        XCTAssertTrue(result.tradeStatus.isPaid)
        XCTAssertEqual(result.totalAmount, try Support.money("88.88"))
        XCTAssertEqual(result.tradeNo, "2024060122001446880000004242")
        XCTAssertEqual(result.outTradeNo, Support.outTradeNo)
        XCTAssertEqual(result.sendPayDate, "2024-06-01 12:01:15")
        XCTAssertEqual(result.buyerLogonID, "159****5620")
        XCTAssertEqual(result.buyerUserID, "2088101117955611")
    }

    func testEmptyOptionalSettingsAreNeverSent() throws {
        let transport = ScriptedTransport(answering: try Fixtures.vectors().response("precreate_success").responseBody)
        let client = AlipayClient(configuration: try Support.configuration(notifyURL: "", appAuthToken: ""),
                                  transport: transport)
        _ = try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: try Support.money("1"), subject: "s",
                                 body: "", timeoutExpress: nil)
        let fields = Dictionary(uniqueKeysWithValues: try FormURLEncoding.decode(transport.sent[0].body))
        XCTAssertEqual(Set(fields.keys), ["app_id", "method", "format", "charset", "sign_type", "timestamp", "version",
                                          "biz_content", "sign"])
        XCTAssertEqual(fields["biz_content"], #"{"out_trade_no":"TP20240601120000000001","subject":"s","total_amount":"1.00"}"#)
        XCTAssertTrue(AlipaySigner.verify(fields, publicKey: try Support.appKey().publicKey))
    }

    func testSpacedReplyVerifies() throws {
        let (client, _) = try Support.client(answering: "precreate_spaced")
        let result = try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: try Support.money("88.88"),
                                          subject: "x")
        XCTAssertEqual(result.qrCode, "https://qr.alipay.com/bax03431ljhokirwl38f00a7")
    }

    func testOtherOperationsReadTheirFields() throws {
        let trade = TradeReference.outTradeNo(Support.outTradeNo)
        XCTAssertEqual(try Support.client(answering: "cancel_success").0.cancel(trade),
                       CancelResult(tradeNo: "2024060122001446880000004242", outTradeNo: Support.outTradeNo,
                                    shouldRetry: false, action: "close"))
        XCTAssertEqual(try Support.client(answering: "close_success").0.close(trade),
                       CloseResult(tradeNo: "2024060122001446880000004242", outTradeNo: Support.outTradeNo))
        let refund = try Support.client(answering: "refund_success").0
            .refund(trade, refundAmount: try Support.money("10.00"), outRequestNo: "R20240601000001")
        XCTAssertTrue(refund.fundChange)
        XCTAssertEqual(refund.refundFee, try Support.money("10.00"))
        let refundQuery = try Support.client(answering: "refund_query_success").0
            .refundQuery(trade, outRequestNo: "R20240601000001")
        XCTAssertTrue(refundQuery.isRefunded)
        XCTAssertEqual(refundQuery.refundAmount, try Support.money("10.00"))
        XCTAssertEqual(refundQuery.totalAmount, try Support.money("88.88"))
    }

    func testRequestBizContentOfOtherOperations() throws {
        let (client, transport) = try Support.client(answering: "refund_success")
        _ = try client.refund(.tradeNo("2024060122001446880000004242"), refundAmount: try Support.money("10"),
                              outRequestNo: "R1", refundReason: "退货")
        let fields = Dictionary(uniqueKeysWithValues: try FormURLEncoding.decode(transport.sent[0].body))
        XCTAssertEqual(fields["method"], "alipay.trade.refund")
        XCTAssertEqual(fields["biz_content"],
                       #"{"out_request_no":"R1","refund_amount":"10.00","refund_reason":"退货","trade_no":"2024060122001446880000004242"}"#)
    }

    func testSignedBusinessFailureIsBusiness() throws {
        let (client, _) = try Support.client(answering: "query_not_exist")
        XCTAssertAlipayError(.business(code: "40004", msg: "Business Failed", subCode: "ACQ.TRADE_NOT_EXIST",
                                       subMsg: "交易不存在")) { () throws(AlipayError) in
            try client.query(.outTradeNo(Support.outTradeNo))
        }
    }

    func testUnsignedErrorResponseIsFlaggedUnsigned() throws {
        let (client, _) = try Support.client(answering: "error_response_unsigned")
        XCTAssertAlipayError(.unsignedBusiness(code: "40002", msg: "Invalid Arguments",
                                               subCode: "isv.invalid-signature", subMsg: "验签出错")) {
            () throws(AlipayError) in try client.precreate(outTradeNo: Support.outTradeNo,
                                                          totalAmount: try! Support.money("1"), subject: "s")
        }
    }

    func testUnsignedSuccessIsNeverSuccess() throws {
        let (client, _) = try Support.client(answering: "precreate_unsigned_success")
        XCTAssertAlipayError(.missingSignature) { () throws(AlipayError) in
            try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: try! Support.money("1"), subject: "s")
        }
    }

    func testServiceUnavailableAndSystemErrorLeaveTheOutcomeUnknown() throws {
        let trade = TradeReference.outTradeNo(Support.outTradeNo)
        for (vector, run) in [
            ("cancel_service_unavailable", { (client: AlipayClient) throws(AlipayError) in _ = try client.cancel(trade) }),
            ("refund_system_error", { (client: AlipayClient) throws(AlipayError) in
                _ = try client.refund(trade, refundAmount: Money(fen: 1000), outRequestNo: "R1")
            }),
        ] {
            let (client, _) = try Support.client(answering: vector)
            do {
                try run(client)
                XCTFail("\(vector) accepted")
            } catch {
                guard case .outcomeUnknown = error else { return XCTFail("\(vector): \(error)") }
                XCTAssertTrue(error.outcomeIsUnknown)
            }
        }
    }

    func testTamperedRepliesFailVerification() throws {
        let vectors = try Fixtures.vectors()
        let precreate = try vectors.response("precreate_success").responseBody
        let query = try vectors.response("query_success").responseBody
        let tampered = [
            ("\\/ unescaped", precreate.replacingOccurrences(of: "\\/", with: "/"), AlipayMethod.precreate),
            ("amount changed", query.replacingOccurrences(of: "\"total_amount\":\"88.88\"",
                                                          with: "\"total_amount\":\"0.01\""), AlipayMethod.query),
            ("code changed", try vectors.response("query_not_exist").responseBody
                .replacingOccurrences(of: "40004", with: "10000"), AlipayMethod.query),
        ]
        for (name, body, method) in tampered {
            XCTAssertNotEqual(body, precreate)
            let client = AlipayClient(configuration: try Support.configuration(),
                                      transport: ScriptedTransport(answering: body))
            XCTAssertAlipayError(.invalidSignature) { () throws(AlipayError) -> String in
                if method == AlipayMethod.query {
                    return try client.query(.outTradeNo(Support.outTradeNo)).tradeStatus.rawValue
                }
                return try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: Money(fen: 8888),
                                            subject: "s").qrCode
            }
            XCTAssertTrue(AlipayError.invalidSignature.outcomeIsUnknown, name)
        }
    }

    func testReplySignedWithTheWrongKeyIsRejected() throws {
        let vector = try Fixtures.vectors().response("precreate_success")
        let wrongSign = Data(try Support.appKey().sign(sha256: Array(vector.signedNode.utf8))).base64EncodedString()
        let body = #"{"alipay_trade_precreate_response":"# + vector.signedNode + #","sign":""# + wrongSign + #""}"#
        let client = AlipayClient(configuration: try Support.configuration(), transport: ScriptedTransport(answering: body))
        XCTAssertAlipayError(.invalidSignature) { () throws(AlipayError) in
            try client.precreate(outTradeNo: Support.outTradeNo, totalAmount: Money(fen: 8888), subject: "s")
        }
    }

    func testTransportFailuresAndHTTPErrorsLeaveTheOutcomeUnknown() throws {
        let failures: [Result<(status: Int, body: [UInt8]), AlipayTransportError>] = [
            .failure(.timeout("Operation timed out after 15000 milliseconds")),
            .failure(.notSent("Connection refused")),
            .failure(.failed("Connection reset")),
            .success((502, Array("<html>Bad Gateway</html>".utf8))),
            .success((200, Array("<html>proxy page</html>".utf8))),
        ]
        for failure in failures {
            let client = AlipayClient(configuration: try Support.configuration(), transport: ScriptedTransport([failure]))
            do {
                _ = try client.query(.outTradeNo(Support.outTradeNo))
                XCTFail("accepted \(failure)")
            } catch {
                XCTAssertTrue(error.outcomeIsUnknown, "\(error)")
            }
        }
    }

    func testReplyAboutAnotherTradeIsMalformed() throws {
        let (client, _) = try Support.client(answering: "query_success")
        XCTAssertAlipayError(.malformedResponse("out_trade_no in the reply differs from the request")) {
            () throws(AlipayError) in try client.query(.outTradeNo("SOMEONE_ELSE"))
        }
    }

    func testInvalidArgumentsAreRefusedBeforeSending() throws {
        let transport = ScriptedTransport([])
        let client = AlipayClient(configuration: try Support.configuration(), transport: transport)
        XCTAssertAlipayError(.invalidRequest("total_amount must be positive")) { () throws(AlipayError) in
            try client.precreate(outTradeNo: "T1", totalAmount: Money(fen: 0), subject: "s")
        }
        XCTAssertAlipayError(.invalidRequest("out_trade_no is empty")) { () throws(AlipayError) in
            try client.precreate(outTradeNo: "", totalAmount: Money(fen: 1), subject: "s")
        }
        XCTAssertTrue(transport.sent.isEmpty)
    }
}
