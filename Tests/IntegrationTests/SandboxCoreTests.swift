import Alipay
import Foundation
import JSON
import SandboxGateway
import Synchronization
import XCTest

/// The sandbox gateway's core without FastCGI: common-parameter checks, signatures and trade rules.
final class SandboxCoreTests: XCTestCase {
    private var sandbox: SandboxHarness!

    override func setUpWithError() throws {
        sandbox = try SandboxHarness()
    }

    // MARK: Common parameters and signatures

    func testSignedPrecreateAnswersASignedNodeWithEscapedSlashes() throws {
        let answer = try sandbox.precreate("T1001")
        XCTAssertEqual(answer.code, "10000")
        XCTAssertEqual(answer["msg"], "Success")
        XCTAssertEqual(answer["out_trade_no"], "T1001")
        XCTAssertTrue(answer.signatureValid, "the sign must verify over the node text")
        XCTAssertTrue(answer.nodeText.contains(#""qr_code":"https:\/\/qr.alipay.com\/bax0"#), answer.nodeText)
        let qrCode = try XCTUnwrap(answer["qr_code"])
        let tail = qrCode.dropFirst("https://qr.alipay.com/bax0".count)
        XCTAssertTrue(qrCode.hasPrefix("https://qr.alipay.com/bax0"))
        XCTAssertEqual(tail.count, 20)
        XCTAssertTrue(tail.allSatisfy { ($0.isLowercase && $0.isASCII) || $0.isNumber }, qrCode)
    }

    func testUnescapedNodeTextDoesNotVerify() throws {
        let answer = try sandbox.precreate("T1002")
        let unescaped = answer.nodeText.replacingOccurrences(of: "\\/", with: "/")
        let signature = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(answer.sign)))
        XCTAssertFalse(sandbox.keys.alipay.publicKey.verify(sha256: Array(signature), message: Array(unescaped.utf8)))
    }

    func testEachMissingCommonParameterIs40001WithoutSign() throws {
        let expected = [
            "app_id": "isv.missing-app-id", "method": "isv.missing-method", "charset": "isv.missing-charset",
            "sign_type": "isv.missing-signature-type", "sign": "isv.missing-signature",
            "timestamp": "isv.missing-timestamp", "version": "isv.missing-version",
        ]
        for (name, subCode) in expected {
            var params = try sandbox.signedParams("alipay.trade.query", #"{"out_trade_no":"T1"}"#)
            params[name] = nil
            let body = sandbox.core.handle(params: params).body
            let error = try errorNode(body)
            XCTAssertEqual(error["code"]?.scalarText, "40001", name)
            XCTAssertEqual(error["msg"]?.scalarText, "Missing Required Arguments", name)
            XCTAssertEqual(error["sub_code"]?.scalarText, subCode, name)
        }
    }

    func testGatewayLevelRefusals() throws {
        let biz = #"{"out_trade_no":"T1"}"#
        var unknownApp = try sandbox.signedParams("alipay.trade.query", biz, overriding: ["app_id": "2021000000000999"])
        XCTAssertEqual(try subCode(sandbox.core.handle(params: unknownApp).body), "isv.invalid-app-id")

        let rsa1 = try sandbox.signedParams("alipay.trade.query", biz, overriding: ["sign_type": "RSA"])
        XCTAssertEqual(try subCode(sandbox.core.handle(params: rsa1).body), "isv.invalid-signature-type")

        var tampered = try sandbox.signedParams("alipay.trade.query", biz)
        tampered["biz_content"] = #"{"out_trade_no":"T2"}"#
        XCTAssertEqual(try subCode(sandbox.core.handle(params: tampered).body), "isv.invalid-signature")

        // A signature by another key (here the sandbox's own) is refused too.
        unknownApp = try sandbox.signedParams("alipay.trade.query", biz)
        let message = Array(AlipayCanonical.signingString(unknownApp).utf8)
        unknownApp["sign"] = Data(try sandbox.keys.alipay.sign(sha256: message)).base64EncodedString()
        XCTAssertEqual(try subCode(sandbox.core.handle(params: unknownApp).body), "isv.invalid-signature")

        let badMethod = try sandbox.signedParams("alipay.trade.pay.nothing", biz)
        XCTAssertEqual(try subCode(sandbox.core.handle(params: badMethod).body), "isv.invalid-method")

        let badTime = try sandbox.signedParams("alipay.trade.query", biz, overriding: ["timestamp": "2024-13-01 12:00:00"])
        XCTAssertEqual(try subCode(sandbox.core.handle(params: badTime).body), "isv.invalid-timestamp")
    }

    func testPlusInSignThatWasNotPercentEncodedFailsVerification() throws {
        var params = try sandbox.signedParams("alipay.trade.query", #"{"out_trade_no":"T1"}"#)
        // What a form decoder makes of a sign whose '+' was sent unencoded.
        params["sign"] = params["sign"]!.replacingOccurrences(of: "+", with: " ")
        guard params["sign"]!.contains(" ") else { return }
        XCTAssertEqual(try subCode(sandbox.core.handle(params: params).body), "isv.invalid-signature")
    }

    func testGatewayEndpointReadsQueryAndFormBodyTogether() throws {
        let params = try sandbox.signedParams(
            "alipay.trade.precreate", #"{"out_trade_no":"T_SPLIT","total_amount":"1.00","subject":"a/b c+d"}"#)
        let bodyPairs = params.filter { $0.key == "biz_content" }.map { ($0.key, $0.value) }
        let queryPairs = params.filter { $0.key != "biz_content" }.map { ($0.key, $0.value) }
        let reply = sandbox.endpoint.handle(SandboxRequest(
            method: "POST", path: "/gateway.do", query: FormDecoding.encode(queryPairs),
            contentType: "application/x-www-form-urlencoded;charset=utf-8",
            body: Array(FormDecoding.encode(bodyPairs).utf8)))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.contentType, "text/html;charset=utf-8")
        let answer = try SandboxAnswer(reply.body, method: "alipay.trade.precreate",
                                       alipayPublicKey: sandbox.keys.alipay.publicKey)
        XCTAssertEqual(answer.code, "10000")
        XCTAssertTrue(answer.signatureValid)
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T_SPLIT", now: sandbox.clock.now)?.subject, "a/b c+d")
    }

    func testDuplicateParameterAcrossQueryAndBodyIsRefused() throws {
        let reply = sandbox.endpoint.handle(SandboxRequest(
            method: "POST", path: "/gateway.do", query: "app_id=1",
            contentType: "application/x-www-form-urlencoded", body: Array("app_id=2".utf8)))
        XCTAssertEqual(try subCode(reply.body), "isv.invalid-parameter")
    }

    // MARK: Precreate

    func testRepeatedPrecreateWithSameAmountReturnsTheSameQRCode() throws {
        let first = try sandbox.precreate("T2001")
        let second = try sandbox.precreate("T2001")
        XCTAssertEqual(second.code, "10000")
        XCTAssertEqual(first["qr_code"], second["qr_code"])
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T2001", now: sandbox.clock.now)?.precreateCount, 2)
        XCTAssertNotEqual(try sandbox.precreate("T2002")["qr_code"], first["qr_code"])
    }

    func testConcurrentRepeatsOfOnePrecreateShareOneTrade() throws {
        let params = try sandbox.signedParams(
            "alipay.trade.precreate", #"{"out_trade_no":"T_RACE","total_amount":"1.00","subject":"s"}"#)
        let core = sandbox.core
        let bodies = Mutex<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            let body = core.handle(params: params).body
            bodies.withLock { $0.append(body) }
        }
        let qrCodes = try Set(bodies.withLock { $0 }.map {
            try XCTUnwrap(try JSONParser.parse($0)["alipay_trade_precreate_response"]?["qr_code"]?.scalarText)
        })
        XCTAssertEqual(qrCodes.count, 1)
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T_RACE", now: sandbox.clock.now)?.precreateCount, 64)
    }

    func testPrecreateWithAnotherAmountIsContextInconsistent() throws {
        _ = try sandbox.precreate("T2003", amount: "10.00")
        let answer = try sandbox.precreate("T2003", amount: "10.01")
        XCTAssertEqual(answer.code, "40004")
        XCTAssertEqual(answer.subCode, "ACQ.CONTEXT_INCONSISTENT")
        XCTAssertTrue(answer.signatureValid, "business failures are signed too")
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T2003", now: sandbox.clock.now)?.totalAmount.description, "10.00")
    }

    func testPrecreateOfPaidAndClosedTrades() throws {
        _ = try sandbox.precreate("T2004")
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T2004&notify=0").status, 200)
        XCTAssertEqual(try sandbox.precreate("T2004").subCode, "ACQ.TRADE_HAS_SUCCESS")

        _ = try sandbox.precreate("T2005")
        _ = try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T2005"}"#)
        XCTAssertEqual(try sandbox.precreate("T2005").subCode, "ACQ.TRADE_HAS_CLOSE")
    }

    func testPrecreateParameterValidation() throws {
        let cases = [
            #"{"total_amount":"1.00","subject":"s"}"#,
            #"{"out_trade_no":"bad-no","total_amount":"1.00","subject":"s"}"#,
            #"{"out_trade_no":"\#(String(repeating: "A", count: 65))","total_amount":"1.00","subject":"s"}"#,
            #"{"out_trade_no":"T3","total_amount":"0.00","subject":"s"}"#,
            #"{"out_trade_no":"T3","total_amount":"0.001","subject":"s"}"#,
            #"{"out_trade_no":"T3","total_amount":"100000000.01","subject":"s"}"#,
            #"{"out_trade_no":"T3","total_amount":"-1.00","subject":"s"}"#,
            #"{"out_trade_no":"T3","total_amount":"1.00"}"#,
            #"{"out_trade_no":"T3","total_amount":"1.00","subject":"s","timeout_express":"1.5h"}"#,
            #"not json"#,
        ]
        for biz in cases {
            let answer = try sandbox.call("alipay.trade.precreate", biz)
            XCTAssertEqual(answer.subCode, "ACQ.INVALID_PARAMETER", biz)
            XCTAssertNotNil(answer["sub_msg"], biz)
            XCTAssertTrue(answer.signatureValid, biz)
        }
        XCTAssertTrue(sandbox.book.allTrades(now: sandbox.clock.now).isEmpty)
        let maximum = try sandbox.call("alipay.trade.precreate",
                                       #"{"out_trade_no":"T_MAX","total_amount":100000000,"subject":"s"}"#)
        XCTAssertEqual(maximum.code, "10000", "a JSON number amount is read exactly")
    }

    // MARK: Query

    func testQueryFollowsTheTradeThroughItsStates() throws {
        XCTAssertEqual(try sandbox.query("T4001").subCode, "ACQ.TRADE_NOT_EXIST")
        _ = try sandbox.precreate("T4001", amount: "88.88")
        XCTAssertEqual(try sandbox.query("T4001").subCode, "ACQ.TRADE_NOT_EXIST", "not scanned yet")

        XCTAssertEqual(sandbox.controlAction("scan", "out_trade_no=T4001").status, 200)
        let waiting = try sandbox.query("T4001")
        XCTAssertEqual(waiting["trade_status"], "WAIT_BUYER_PAY")
        XCTAssertNil(waiting["send_pay_date"])

        sandbox.clock.advance(seconds: 5)
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T4001&notify=0").status, 200)
        let paid = try sandbox.query("T4001")
        XCTAssertTrue(paid.signatureValid)
        XCTAssertEqual(paid["trade_status"], "TRADE_SUCCESS")
        XCTAssertEqual(paid["total_amount"], "88.88")
        XCTAssertEqual(paid["send_pay_date"], "2024-06-01 12:00:05")
        let tradeNo = try XCTUnwrap(paid["trade_no"])
        XCTAssertEqual(tradeNo.count, 28)
        XCTAssertTrue(tradeNo.allSatisfy(\.isNumber))
        XCTAssertTrue(tradeNo.hasPrefix("20240601"))
        XCTAssertTrue(try XCTUnwrap(paid["buyer_user_id"]).hasPrefix("2088"))
        XCTAssertTrue(try XCTUnwrap(paid["buyer_logon_id"]).contains("***"))
        XCTAssertEqual(waiting["trade_no"], tradeNo, "the trade number is assigned at the scan")

        let byTradeNo = try sandbox.call("alipay.trade.query", #"{"trade_no":"\#(tradeNo)"}"#)
        XCTAssertEqual(byTradeNo["out_trade_no"], "T4001")
    }

    func testScannedTradeExpiresToClosed() throws {
        _ = try sandbox.call("alipay.trade.precreate",
                             #"{"out_trade_no":"T4002","total_amount":"1.00","subject":"s","timeout_express":"5m"}"#)
        sandbox.controlAction("scan", "out_trade_no=T4002")
        sandbox.clock.advance(seconds: 301)
        XCTAssertEqual(try sandbox.query("T4002")["trade_status"], "TRADE_CLOSED")
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T4002").status, 409)
    }

    // MARK: Close and cancel

    func testCloseBeforeScanAnswersNotExistAndLeavesTheCodePayableUntilACancel() throws {
        _ = try sandbox.precreate("T5001")
        let close = try sandbox.call("alipay.trade.close", #"{"out_trade_no":"T5001"}"#)
        XCTAssertEqual(close.subCode, "ACQ.TRADE_NOT_EXIST")
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T5001", now: sandbox.clock.now)?.status, .created)
        XCTAssertEqual(try sandbox.query("T5001").subCode, "ACQ.TRADE_NOT_EXIST")
        let cancel = try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T5001"}"#)
        XCTAssertEqual(cancel.code, "10000")
        XCTAssertEqual(cancel["action"], "close")
        XCTAssertEqual(sandbox.book.trade(outTradeNo: "T5001", now: sandbox.clock.now)?.status, .closed)
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T5001").status, 409)
        XCTAssertEqual(sandbox.controlAction("scan", "out_trade_no=T5001").status, 409)

        _ = try sandbox.precreate("T5004")
        _ = try sandbox.call("alipay.trade.close", #"{"out_trade_no":"T5004"}"#)
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T5004").status, 200, "a close alone does not hold")
    }

    func testCloseOfScannedAndPaidTrades() throws {
        _ = try sandbox.precreate("T5002")
        sandbox.controlAction("scan", "out_trade_no=T5002")
        let closed = try sandbox.call("alipay.trade.close", #"{"out_trade_no":"T5002"}"#)
        XCTAssertEqual(closed.code, "10000")
        XCTAssertNotNil(closed["trade_no"])
        XCTAssertEqual(try sandbox.query("T5002")["trade_status"], "TRADE_CLOSED")

        _ = try sandbox.precreate("T5003")
        sandbox.controlAction("pay", "out_trade_no=T5003&notify=0")
        XCTAssertEqual(try sandbox.call("alipay.trade.close", #"{"out_trade_no":"T5003"}"#).subCode,
                       "ACQ.TRADE_STATUS_ERROR")
        XCTAssertEqual(try sandbox.call("alipay.trade.close", #"{"out_trade_no":"NOPE"}"#).subCode,
                       "ACQ.TRADE_NOT_EXIST")
    }

    func testCancelClosesUnpaidRefundsPaidAndIgnoresUnknown() throws {
        let unknown = try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T6000"}"#)
        XCTAssertEqual(unknown.code, "10000")
        XCTAssertEqual(unknown["retry_flag"], "N")
        XCTAssertNil(unknown["action"])

        _ = try sandbox.precreate("T6001")
        let unpaid = try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T6001"}"#)
        XCTAssertEqual(unpaid["action"], "close")
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=T6001").status, 409)

        _ = try sandbox.precreate("T6002", amount: "5.00")
        sandbox.controlAction("pay", "out_trade_no=T6002&notify=0")
        let paid = try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T6002"}"#)
        XCTAssertEqual(paid["action"], "refund")
        XCTAssertEqual(paid["retry_flag"], "N")
        let trade = try XCTUnwrap(sandbox.book.trade(outTradeNo: "T6002", now: sandbox.clock.now))
        XCTAssertEqual(trade.status, .closed)
        XCTAssertEqual(trade.refundedAmount.description, "5.00")
        XCTAssertEqual(try sandbox.call("alipay.trade.cancel", #"{"out_trade_no":"T6002"}"#)["action"], "refund",
                       "a repeated cancel answers the same")
    }

    // MARK: Refunds

    func testRefundRulesAndIdempotency() throws {
        _ = try sandbox.precreate("T7001", amount: "10.00")
        let early = try refund("T7001", "1.00", "R1")
        XCTAssertEqual(early.subCode, "ACQ.TRADE_NOT_EXIST", "nothing to refund before the buyer scanned")
        sandbox.controlAction("pay", "out_trade_no=T7001&notify=0")

        let first = try refund("T7001", "3.00", "R1")
        XCTAssertEqual(first.code, "10000")
        XCTAssertEqual(first["fund_change"], "Y")
        XCTAssertEqual(first["refund_fee"], "3.00")
        XCTAssertTrue(first.signatureValid)

        let repeated = try refund("T7001", "3.00", "R1")
        XCTAssertEqual(repeated.code, "10000")
        XCTAssertEqual(repeated["fund_change"], "N")
        XCTAssertEqual(repeated["refund_fee"], "3.00")

        XCTAssertEqual(try refund("T7001", "4.00", "R1").subCode, "ACQ.DISCORDANT_REPEAT_REQUEST")
        XCTAssertEqual(try refund("T7001", "7.01", "R2").subCode, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
        XCTAssertEqual(try refund("T7001", "0.001", "R2").subCode, "ACQ.INVALID_PARAMETER")
        XCTAssertEqual(try sandbox.query("T7001")["trade_status"], "TRADE_SUCCESS", "partial refunds keep it paid")

        let rest = try refund("T7001", "7.00", "R2")
        XCTAssertEqual(rest["refund_fee"], "10.00")
        XCTAssertEqual(try sandbox.query("T7001")["trade_status"], "TRADE_CLOSED", "a full refund closes the trade")
        XCTAssertEqual(try refund("T7001", "0.01", "R3").subCode, "ACQ.TRADE_HAS_CLOSE")
        XCTAssertEqual(try refund("T7001", "7.00", "R2")["fund_change"], "N", "still idempotent after closing")
    }

    func testRefundOfUnpaidScannedTradeIsAStatusError() throws {
        _ = try sandbox.precreate("T7002")
        sandbox.controlAction("scan", "out_trade_no=T7002")
        XCTAssertEqual(try refund("T7002", "1.00", "R1").subCode, "ACQ.TRADE_STATUS_ERROR")
    }

    func testRefundQuery() throws {
        _ = try sandbox.precreate("T7003", amount: "2.00")
        sandbox.controlAction("pay", "out_trade_no=T7003&notify=0")
        _ = try refund("T7003", "0.50", "R9")
        let found = try sandbox.call("alipay.trade.fastpay.refund.query",
                                     #"{"out_trade_no":"T7003","out_request_no":"R9"}"#)
        XCTAssertEqual(found["refund_status"], "REFUND_SUCCESS")
        XCTAssertEqual(found["refund_amount"], "0.50")
        XCTAssertEqual(found["total_amount"], "2.00")
        let unknown = try sandbox.call("alipay.trade.fastpay.refund.query",
                                       #"{"out_trade_no":"T7003","out_request_no":"R10"}"#)
        XCTAssertEqual(unknown.code, "10000")
        XCTAssertNil(unknown["refund_status"])
        XCTAssertEqual(try sandbox.call("alipay.trade.fastpay.refund.query", #"{"out_trade_no":"T7003"}"#).subCode,
                       "ACQ.INVALID_PARAMETER")
    }

    // MARK: Helpers

    private func refund(_ outTradeNo: String, _ amount: String, _ requestNo: String) throws -> SandboxAnswer {
        try sandbox.call("alipay.trade.refund",
                         #"{"out_trade_no":"\#(outTradeNo)","refund_amount":"\#(amount)","out_request_no":"\#(requestNo)"}"#)
    }

    private func errorNode(_ body: [UInt8]) throws -> JSONNode {
        let root = try JSONParser.parse(body)
        XCTAssertNil(root["sign"], "gateway-level errors are not signed")
        return try XCTUnwrap(root["error_response"], String(decoding: body, as: UTF8.self))
    }

    private func subCode(_ body: [UInt8]) throws -> String? {
        try errorNode(body)["sub_code"]?.scalarText
    }
}
