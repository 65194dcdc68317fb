import Alipay
import CivilTime
import Foundation
import RSASigning

/// The `/gateway.do` behaviour without any I/O: parameters in, status and JSON body out.
public final class SandboxGatewayCore: Sendable {
    /// The OpenAPI methods the sandbox implements.
    public static let methods: Set<String> = [
        "alipay.trade.precreate", "alipay.trade.query", "alipay.trade.cancel", "alipay.trade.close",
        "alipay.trade.refund", "alipay.trade.fastpay.refund.query",
    ]

    public let appID: String
    public let merchantPublicKey: RSAPublicKey
    public let renderer: ResponseRenderer
    public let book: SandboxBook
    /// Told of every refund that moved money, as Alipay then notifies the trade's notify_url.
    private let onRefund: (@Sendable (SandboxTrade, SandboxRefund) -> Void)?
    private let clock: @Sendable () -> Date

    public init(
        appID: String, merchantPublicKey: RSAPublicKey, alipayPrivateKey: RSAPrivateKey, book: SandboxBook,
        onRefund: (@Sendable (SandboxTrade, SandboxRefund) -> Void)? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.appID = appID
        self.merchantPublicKey = merchantPublicKey
        self.renderer = ResponseRenderer(alipayPrivateKey: alipayPrivateKey)
        self.book = book
        self.onRefund = onRefund
        self.clock = clock
    }

    /// Answers one gateway call: HTTP status and the JSON body (signed when it is a business answer).
    public func handle(params: [String: String]) -> (status: Int, body: [UInt8]) {
        render(answer(params: params, commit: true))
    }

    /// Serialises an answer; a signing failure (which would be a broken key) becomes a 500.
    public func render(_ answer: GatewayAnswer, signing: ResponseSigning = .valid) -> (status: Int, body: [UInt8]) {
        do {
            return (200, try renderer.body(for: answer, signing: signing))
        } catch {
            return (500, Array("{\"error\":\"the sandbox could not sign its answer\"}".utf8))
        }
    }

    /// Checks the common parameters and runs the operation.
    ///
    /// - Parameter commit: false computes the answer without changing the book (a fault that fails the call
    ///   "before Alipay applied it").
    public func answer(params: [String: String], commit: Bool) -> GatewayAnswer {
        if let error = checkCommonParameters(params) { return .gatewayError(error) }
        let method = params["method"]!
        let reply = perform(method: method, params: params, commit: commit, now: clock())
        return .business(method: method, reply: reply)
    }

    /// The first problem with the common parameters, in the order the gateway checks them; nil when fine.
    public func checkCommonParameters(_ params: [String: String]) -> GatewayError? {
        for name in ["app_id", "method", "charset", "sign_type", "sign", "timestamp", "version"] {
            guard let value = params[name], !value.isEmpty else { return .missing(name) }
        }
        guard params["app_id"] == appID else { return .invalid("isv.invalid-app-id", "无效的AppID参数") }
        guard params["charset"]!.lowercased() == "utf-8" else {
            return .invalid("isv.invalid-charset", "字符集错误, only utf-8 is supported")
        }
        guard params["sign_type"] == "RSA2" else { return .invalid("isv.invalid-signature-type", "无效的签名类型") }
        guard signatureIsValid(params) else {
            return .invalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")
        }
        guard Self.methods.contains(params["method"]!) else {
            return .invalid("isv.invalid-method", "不存在的方法名")
        }
        guard CivilTimeText.china.parse(params["timestamp"]!) != nil else {
            return .invalid("isv.invalid-timestamp", "非法的时间戳参数")
        }
        if let format = params["format"], format.lowercased() != "json" {
            return .invalid("isv.invalid-format", "无效的数据格式")
        }
        return nil
    }

    /// Verifies `sign` over the canonical string of every other parameter with the merchant's public key.
    public func signatureIsValid(_ params: [String: String]) -> Bool {
        guard let sign = params["sign"], let signature = Data(base64Encoded: sign) else { return false }
        let message = Array(AlipayCanonical.signingString(params).utf8)
        return merchantPublicKey.verify(sha256: Array(signature), message: message)
    }

    private func perform(method: String, params: [String: String], commit: Bool, now: Date) -> BusinessReply {
        do {
            let biz = try BizContent(text: params["biz_content"])
            switch method {
            case "alipay.trade.precreate":
                let request = try PrecreateRequest(biz: biz, notifyURL: params["notify_url"])
                let reference = TradeLookup(outTradeNo: request.outTradeNo, tradeNo: nil)
                return book.update(reference, now: now, commit: commit) { trade, fresh in
                    TradeTransitions.precreate(&trade, request, now: now, fresh: fresh)
                }
            case "alipay.trade.query":
                let reference = try biz.tradeReference()
                let fundBills = biz.arrayContains("query_options", "fund_bill_list")
                return book.update(reference, now: now, commit: commit) { trade, _ in
                    TradeTransitions.query(trade, reference, includeFundBills: fundBills)
                }
            case "alipay.trade.cancel":
                let reference = try biz.tradeReference()
                return book.update(reference, now: now, commit: commit) { trade, _ in
                    TradeTransitions.cancel(&trade, reference, now: now)
                }
            case "alipay.trade.close":
                let reference = try biz.tradeReference()
                return book.update(reference, now: now, commit: commit) { trade, _ in
                    TradeTransitions.close(&trade, reference, now: now)
                }
            case "alipay.trade.refund":
                let request = try RefundRequest(biz: biz)
                var moved: (SandboxTrade, SandboxRefund)?
                let reply = book.update(request.reference, now: now, commit: commit) { trade, _ in
                    let outcome = TradeTransitions.refundMovingMoney(&trade, request, now: now)
                    if let refund = outcome.moved, let trade { moved = (trade, refund) }
                    return outcome.reply
                }
                if commit, let moved { onRefund?(moved.0, moved.1) }
                return reply
            default:
                let reference = try biz.tradeReference()
                let requestNo = try biz.requiredString("out_request_no", maxLength: 64)
                return book.update(reference, now: now, commit: commit) { trade, _ in
                    TradeTransitions.refundQuery(trade, reference, outRequestNo: requestNo)
                }
            }
        } catch {
            return .failure(.invalidParameter, detail: error.detail)
        }
    }
}
