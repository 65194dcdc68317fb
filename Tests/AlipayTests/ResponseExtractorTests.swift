import Alipay
import XCTest

/// Cutting the signed node out of gateway replies.
final class ResponseExtractorTests: XCTestCase {
    private func extract(_ body: String, _ method: String = AlipayMethod.query) throws(AlipayError) -> AlipayResponseNode {
        try AlipayResponseExtractor.extract(body: Array(body.utf8), method: method)
    }

    private func assertMalformed(_ body: String, _ method: String = AlipayMethod.query,
                                 file: StaticString = #filePath, line: UInt = #line) {
        do {
            let node = try extract(body, method)
            XCTFail("accepted: \(node.text)", file: file, line: line)
        } catch {
            guard case .malformedResponse = error else {
                return XCTFail("expected malformedResponse, got \(error)", file: file, line: line)
            }
        }
    }

    func testNodeNameFollowsTheMethod() {
        XCTAssertEqual(AlipayResponseExtractor.nodeName(forMethod: "alipay.trade.fastpay.refund.query"),
                       "alipay_trade_fastpay_refund_query_response")
    }

    func testEveryVectorNodeIsCutOutByteForByte() throws {
        for (name, vector) in try Fixtures.vectors().responses {
            let method = vector.nodeName == "error_response" ? AlipayMethod.precreate
                : vector.nodeName.replacingOccurrences(of: "_response", with: "").replacingOccurrences(of: "_", with: ".")
            let node = try extract(vector.responseBody, method)
            XCTAssertEqual(node.text, vector.signedNode, name)
            XCTAssertEqual(node.name, vector.nodeName, name)
            XCTAssertEqual(node.sign, vector.sign, name)
        }
    }

    func testBracesAndEscapedQuotesInsideStringsDoNotEndTheNode() throws {
        let node = #"{"code":"10000","a":"}}{{\"","b":"\\","c":["]",{"d":"}"}],"e":"\"}"}"#
        let extracted = try extract(#"{"alipay_trade_query_response":"# + node + #","sign":"c2lnbg=="}"#)
        XCTAssertEqual(extracted.text, node)
        XCTAssertEqual(extracted.sign, "c2lnbg==")
    }

    func testErrorResponseNodeIsFound() throws {
        let node = try extract(#"{"error_response":{"code":"40002","msg":"Invalid Arguments"}}"#)
        XCTAssertTrue(node.isErrorResponse)
        XCTAssertNil(node.sign)
    }

    func testMissingOrEmptySignIsNilAndEscapedSignIsDecoded() throws {
        XCTAssertNil(try extract(#"{"alipay_trade_query_response":{"code":"10000"}}"#).sign)
        XCTAssertNil(try extract(#"{"alipay_trade_query_response":{"code":"10000"},"sign":""}"#).sign)
        XCTAssertEqual(try extract(#"{"alipay_trade_query_response":{},"sign":"a\/b+c=="}"#).sign, "a/b+c==")
    }

    func testNodeNameRepeatedAfterTheNodeIsRejected() {
        // Duplicate member (a second, attacker-supplied node after the signed one).
        assertMalformed(#"{"alipay_trade_query_response":{"code":"40004"},"sign":"x","alipay_trade_query_response":{"code":"10000"}}"#)
        // The name smuggled into a later member's value.
        assertMalformed(#"{"alipay_trade_query_response":{"code":"40004"},"sign":"x","extra":{"alipay_trade_query_response":{"code":"10000"}}}"#)
        // An escaped spelling of the name is still a duplicate member.
        assertMalformed(#"{"alipay_trade_query_response":{},"\u0061lipay_trade_query_response":{}}"#)
    }

    func testANestedLookAlikeBeforeTheRealNodeIsNotTaken() throws {
        let node = try extract(#"{"x":{"alipay_trade_query_response":{"code":"10000"}},"alipay_trade_query_response":{"code":"40004"}}"#)
        XCTAssertEqual(node.text, #"{"code":"40004"}"#)
    }

    func testBrokenShapesAreMalformed() {
        assertMalformed("")
        assertMalformed("<html>502 Bad Gateway</html>")
        assertMalformed(#"{"alipay_trade_precreate_response":{"code":"10000"}}"#)  // another method's node
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"},"error_response":{"code":"40002"}}"#)
        assertMalformed(#"{"alipay_trade_query_response":"ZW5jcnlwdGVk","sign":"x"}"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"}"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"}} trailing"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"],"sign":"x"}"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"},"sign":123}"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"10000"},"sign":"x","sign":"y"}"#)
        assertMalformed(#"{"alipay_trade_query_response":{"code":"1000\"}"#)
    }
}
