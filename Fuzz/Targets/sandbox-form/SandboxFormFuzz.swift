import Alipay
import CivilTime
import Foundation
import JSON
import SandboxGateway

/// A fixed "now" for the expiry arithmetic.
private let start = Date(timeIntervalSince1970: 1_700_000_000)

/// One input: selector byte, then
/// - mode 0 (`0x00-0x3F`): query string, NUL, body — gathered by `FormDecoding.parameters` as the sandbox
///   gateway does, then `biz_content` read through every `BizContent` accessor and `timeout_express`;
/// - mode 1 (`0x40-0x7F`): a `biz_content` JSON text for `JSONParser` and `BizContent`;
/// - mode 2 (`0x80-0xFF`): a form whose decoded pairs must survive `FormDecoding.encode` unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func sandboxFormFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, rest) = fuzzBytes(data, size).splitSelector() else { return 0 }
    switch selector >> 6 {
    case 0:
        let parts = rest.pieces(2, separator: 0)
        // The query string reaches the sandbox as a FastCGI parameter, so it is text without NUL.
        let query = Array(headerText(parts[0]).utf8)
        guard let params = try? FormDecoding.parameters(from: [query, parts.count > 1 ? parts[1] : []]) else { break }
        readBizContent(params["biz_content"])
        _ = try? TimeoutExpress.expiry(params["timeout_express"], from: start)
        if let timestamp = params["timestamp"] { _ = CivilTimeText.china.parse(timestamp) }
    case 1:
        _ = try? JSONParser.parse(rest)
        readBizContent(String(decoding: rest, as: UTF8.self))
    default:
        guard let pairs = try? FormDecoding.pairs(rest) else { break }
        let again = try? FormDecoding.pairs(Array(FormDecoding.encode(pairs).utf8))
        fuzzCheck(again.map { $0.elementsEqual(pairs, by: ==) } == true, "form pairs changed by encode/decode")
    }
    return 0
}

/// Every typed read the sandbox's transitions make of a `biz_content`.
private func readBizContent(_ text: String?) {
    guard let biz = try? BizContent(text: text) else { return }
    _ = try? biz.string("subject")
    _ = try? biz.requiredString("subject", maxLength: 256)
    _ = try? biz.optionalString("body", maxLength: 128)
    _ = try? biz.amount("total_amount")
    _ = try? biz.amount("refund_amount", required: false)
    _ = try? biz.outTradeNo(required: true)
    _ = try? biz.tradeReference()
    _ = biz.arrayContains("query_options", "fund_bill_list")
    _ = try? TimeoutExpress.expiry(try? biz.string("timeout_express"), from: start)
}
