import Alipay
import CivilTime
import CurlClient
import Foundation
import JSON
import PaymentStore
import RSASigning

/// Delivers paid bills to the business systems' callback URLs from the durable outbox.
///
/// Each POST carries a JSON body and `X-ThreePay-Signature: sha256=<hex>`, the HMAC-SHA256 of
/// `<X-ThreePay-Timestamp>.<body>` under THREEPAY_CALLBACK_SECRET. A callback counts as acknowledged
/// when the receiver answers 2xx with the body `success` (Alipay's own convention); anything else is
/// retried with back-off: 5 s, 10 s, 20 s … capped at 1 h, giving up after 15 attempts (the row then
/// stays in the outbox as GAVE_UP for a DBA to re-queue).
struct CallbackDelivery {
    static let maximumAttempts = 15
    static let batchSize = 5
    let urls: [String: String]
    let secret: [UInt8]
    let client: HTTPClient

    /// Claims due callbacks and tries each once. Returns how many were claimed.
    ///
    /// The lease (120 s) outlasts a whole batch sent one after another (5 × the 10 s HTTP limit), so no
    /// other deliverer can claim a job of this batch while it is still being sent.
    func deliverDue(store: PaymentRecords) throws(StoreError) -> Int {
        let jobs = try store.claimCallbacks(limit: CallbackDelivery.batchSize, leaseSeconds: 120)
        for job in jobs { deliver(job, store: store) }
        return jobs.count
    }

    private func deliver(_ job: CallbackJob, store: PaymentRecords) {
        guard let url = urls[job.billtype] else {
            _ = try? store.callbackSkipped(id: job.id, reason: "no THREEPAY_CALLBACK_URL_\(job.billtype) configured")
            return
        }
        let body = Array(CallbackDelivery.payload(job).utf8)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = HMACSHA256.hex(key: secret, message: Array("\(timestamp).".utf8) + body)
        let attempt = job.attempts + 1
        do {
            let reply = try client.post(
                url: url, contentType: "application/json; charset=utf-8", body: body,
                headers: [("X-ThreePay-Timestamp", timestamp), ("X-ThreePay-Signature", "sha256=\(signature)")])
            let answer = String(decoding: reply.body.prefix(64), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if (200..<300).contains(reply.status), answer == "success" {
                _ = try? store.callbackDelivered(id: job.id, httpStatus: reply.status)
            } else {
                failed(job, attempt: attempt, status: reply.status, error: "answered \(reply.status) without success", store: store)
            }
        } catch {
            failed(job, attempt: attempt, status: nil, error: error.description, store: store)
        }
    }

    private func failed(_ job: CallbackJob, attempt: Int, status: Int?, error: String, store: PaymentRecords) {
        let giveUp = attempt >= CallbackDelivery.maximumAttempts
        _ = try? store.callbackFailed(
            id: job.id, httpStatus: status, error: String(error.prefix(250)),
            retryAfterSeconds: CallbackDelivery.backoffSeconds(afterAttempt: attempt), giveUp: giveUp)
        if giveUp { RequestLog.note("callback for autoid \(job.autoid) gave up after \(attempt) attempts: \(error)") }
    }

    static func backoffSeconds(afterAttempt attempt: Int) -> Int {
        min(5 << min(max(attempt - 1, 0), 10), 3600)
    }

    /// The callback body: what the business system needs to book the payment.
    static func payload(_ job: CallbackJob) -> String {
        var members: [String: JSONNode] = [
            "status": .string("paid"),
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
        return JSONNode.sortedObject(members).compactText
    }
}
