@testable import Alipay
import Foundation
import PaymentModel

/// The methods whose reply nodes are looked for (selector bits 0-2, modulo 6).
private let methods = [AlipayMethod.precreate, AlipayMethod.query, AlipayMethod.cancel, AlipayMethod.close,
                       AlipayMethod.refund, AlipayMethod.refundQuery]

/// The trade and refund request the client asks about (those of the fixture replies).
private let outTradeNo = "TP20240601120000000001"
private let outRequestNo = "R20240601000001"

/// One input: selector byte, then a gateway reply body.
/// - mode 0 and 1 (`0x00-0x7F`): `AlipayResponseExtractor.extract`, then the reply fields of the node
///   (`AlipayReplyFields`: code, amounts, flags, echo check) and an RSA2 check of whatever `sign` holds;
/// - mode 2 (`0x80-0xBF`): a whole `AlipayClient` call answered with the body as received;
/// - mode 3 (`0xC0-0xFF`): the same, but when the node extracts and carries no `sign`, the target signs
///   it with the fixture Alipay key first, so the verified-success paths parse the fuzzed fields.
@_cdecl("LLVMFuzzerTestOneInput")
public func alipayResponseFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, body) = fuzzBytes(data, size).splitSelector() else { return 0 }
    let method = methods[Int(selector & 0x07) % methods.count]
    switch selector >> 6 {
    case 0, 1: extractAndRead(body, method)
    case 2: callClient(method, answering: body)
    default: callClient(method, answering: signedIfUnsigned(body, method))
    }
    return 0
}

/// Extraction and field reading, as `AlipayClient.call` does them, without the request side.
private func extractAndRead(_ body: [UInt8], _ method: String) {
    guard let node = try? AlipayResponseExtractor.extract(body: body, method: method) else { return }
    fuzzCheck(node.name == AlipayResponseExtractor.nodeName(forMethod: method) || node.isErrorResponse, "wrong node")
    fuzzCheck(node.bytes.first == UInt8(ascii: "{") && node.bytes.last == UInt8(ascii: "}"), "node is not {…}")
    if let sign = node.sign, let signature = Data(base64Encoded: sign) {
        _ = FixtureKeys.alipayPublic.verify(sha256: [UInt8](signature), message: node.bytes)
    }
    guard let fields = try? AlipayReplyFields(node: node.bytes) else { return }
    _ = try? fields.required("code")
    _ = try? fields.money("total_amount")
    _ = try? fields.money("refund_fee")
    _ = fields.flag("fund_change")
    _ = try? fields.checkEcho(.outTradeNo(outTradeNo))
    _ = try? fields.checkEcho(.tradeNo("2024060122001446880000004242"))
}

/// The body with a `sign` member added in front when its node extracts and is unsigned.
private func signedIfUnsigned(_ body: [UInt8], _ method: String) -> [UInt8] {
    guard let node = try? AlipayResponseExtractor.extract(body: body, method: method), node.sign == nil,
          let open = body.firstIndex(of: UInt8(ascii: "{")),
          let signature = try? FixtureKeys.alipayPrivate.sign(sha256: node.bytes)
    else { return body }
    let member = Array("\"sign\":\"\(Data(signature).base64EncodedString())\",".utf8)
    return Array(body[...open]) + member + Array(body[(open + 1)...])
}

/// A transport that answers every request with one fixed body.
private final class CannedTransport: AlipayTransport {
    let body: [UInt8]

    init(body: [UInt8]) {
        self.body = body
    }

    func postForm(url: String, body _: [UInt8]) throws(AlipayTransportError) -> (status: Int, body: [UInt8]) {
        (200, body)
    }
}

/// One client call of `method` that receives `reply`; every outcome is acceptable except a crash.
private func callClient(_ method: String, answering reply: [UInt8]) {
    let configuration = AlipayConfiguration(
        gatewayURL: "http://127.0.0.1:9/gateway.do", appID: FixtureKeys.appID, appPrivateKey: FixtureKeys.appPrivate,
        alipayPublicKey: FixtureKeys.alipayPublic, notifyURL: "http://127.0.0.1:9/notify",
        clock: { Date(timeIntervalSince1970: 1_700_000_000) })
    let client = AlipayClient(configuration: configuration, transport: CannedTransport(body: reply))
    let trade = TradeReference.outTradeNo(outTradeNo)
    let amount = Money(exactly: "88.88")!
    let outcome: Result<Any, AlipayError>
    do throws(AlipayError) {
        switch method {
        case AlipayMethod.precreate:
            outcome = .success(try client.precreate(outTradeNo: outTradeNo, totalAmount: amount, subject: "ticket"))
        case AlipayMethod.query: outcome = .success(try client.query(trade))
        case AlipayMethod.cancel: outcome = .success(try client.cancel(trade))
        case AlipayMethod.close: outcome = .success(try client.close(trade))
        case AlipayMethod.refund:
            outcome = .success(try client.refund(trade, refundAmount: amount, outRequestNo: outRequestNo))
        default: outcome = .success(try client.refundQuery(trade, outRequestNo: outRequestNo))
        }
    } catch {
        outcome = .failure(error)
    }
    if tracing { print("\(method): \(outcome)") }
}

/// `THREEPAY_FUZZ_TRACE=1` prints each client call's outcome (for looking at a corpus, not for fuzzing).
private let tracing = ProcessInfo.processInfo.environment["THREEPAY_FUZZ_TRACE"] != nil
