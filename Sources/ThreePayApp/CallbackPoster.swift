import CivilTime
import CurlClient
import Foundation
import JSON
import PaymentFlow
import RSASigning

/// Sends the outbox's callbacks to the business systems' URLs (`CallbackDispatch` decides what is due and what an
/// answer means).
///
/// Each POST carries a JSON body and `X-ThreePay-Signature: sha256=<hex>`, the HMAC-SHA256 of
/// `<X-ThreePay-Timestamp>.<body>` under THREEPAY_CALLBACK_SECRET.
final class CallbackPoster: CallbackSender {
    let urls: [String: String]
    let secret: [UInt8]
    let client: HTTPClient

    init(urls: [String: String], secret: [UInt8], client: HTTPClient) {
        self.urls = urls
        self.secret = secret
        self.client = client
    }

    func hasReceiver(forBilltype billtype: String) -> Bool { urls[billtype] != nil }

    func send(_ job: CallbackJob) -> Result<(status: Int, body: [UInt8]), CallbackSendError> {
        guard let url = urls[job.billtype] else { return .failure(CallbackSendError("no URL")) }
        let body = Array(CallbackPoster.payload(job).utf8)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = HMACSHA256.hex(key: secret, message: Array("\(timestamp).".utf8) + body)
        do {
            let reply = try client.post(
                url: url, contentType: "application/json; charset=utf-8", body: body,
                headers: [("X-ThreePay-Timestamp", timestamp), ("X-ThreePay-Signature", "sha256=\(signature)")])
            return .success((reply.status, Array(reply.body.prefix(64))))
        } catch {
            return .failure(CallbackSendError(error.description))
        }
    }
    /// The callback body: what the business system needs to book the payment, or the refund of it (then
    /// `status` is `refunded` and `refundno`, `refundvalue`, `refundtime` and `refundedtotal` come along).
    static func payload(_ job: CallbackJob) -> String {
        var members: [String: JSONNode] = [
            "status": .string(job.refund == nil ? "paid" : "refunded"),
            "autoid": .string(String(job.autoid)),
            "billtype": .string(job.billtype),
            "billnum": .string(job.billnum),
            "paytype": .string(job.paytype),
            "outtradeno": .string(job.outTradeNo),
            "tradeno": .string(job.tradeNo),
            "amount": .string(job.amount.description),
        ]
        if let paidAt = job.paidAt { members["paytime"] = .string(CivilTimeText.china.format(paidAt)) }
        if let cardno = job.cardno { members["cardno"] = .string(cardno) }
        if let refund = job.refund {
            members["refundno"] = .string(refund.refundno)
            members["refundvalue"] = .string(refund.amount.description)
            members["refundedtotal"] = .string(refund.refundedTotal.description)
            if let at = refund.refundedAt { members["refundtime"] = .string(CivilTimeText.china.format(at)) }
        }
        return JSONNode.sortedObject(members).compactText
    }
}
