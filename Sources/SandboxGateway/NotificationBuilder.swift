import Alipay
import CivilTime
import Foundation
import RSASigning

/// One asynchronous notification ready to send: where, the signed form body, and what it is about.
public struct NotificationJob: Sendable, Equatable {
    public var outTradeNo: String
    public var notifyID: String
    public var url: String
    public var tradeStatus: String
    /// The form-urlencoded body, signed once; resends repeat it byte for byte (same `notify_id`).
    public var body: [UInt8]
}

/// Builds `trade_status_sync` notifications for paid trades, signed like Alipay's.
public struct NotificationBuilder: Sendable {
    public let appID: String
    public let sellerID: String
    public let alipayPrivateKey: RSAPrivateKey

    public init(appID: String, sellerID: String, alipayPrivateKey: RSAPrivateKey) {
        self.appID = appID
        self.sellerID = sellerID
        self.alipayPrivateKey = alipayPrivateKey
    }

    /// The notification fields for `trade` (without `sign`/`sign_type`), in Alipay's field names. For a refund,
    /// Alipay's `trade_status_sync` also carries `out_biz_no` (the refund's out_request_no), `refund_fee` (the
    /// trade's total refunded), `send_back_fee` and `gmt_refund`; the status is TRADE_CLOSED after a full refund.
    public func fields(for trade: SandboxTrade, refund: SandboxRefund? = nil, notifyID: String, at now: Date)
        -> [String: String]
    {
        let paid = trade.totalAmount.description
        var fields: [String: String] = [
            "notify_time": CivilTimeText.china.format(now),
            "notify_type": "trade_status_sync",
            "notify_id": notifyID,
            "app_id": appID,
            "auth_app_id": appID,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade.tradeNo ?? "",
            "out_trade_no": trade.outTradeNo,
            "trade_status": trade.status.rawValue,
            "total_amount": paid,
            "receipt_amount": paid,
            "buyer_pay_amount": paid,
            "invoice_amount": paid,
            "point_amount": "0.00",
            "buyer_id": trade.buyerID ?? "",
            "buyer_logon_id": trade.buyerLogonID ?? "",
            "seller_id": sellerID,
            "subject": trade.subject,
            "gmt_create": CivilTimeText.china.format(trade.scannedAt ?? trade.createdAt),
            "gmt_payment": trade.paidAt.map(CivilTimeText.china.format) ?? "",
            "fund_bill_list": "[{\"amount\":\"\(paid)\",\"fundChannel\":\"ALIPAYACCOUNT\"}]",
        ]
        if let refund {
            fields["out_biz_no"] = refund.outRequestNo
            fields["refund_fee"] = trade.refundedAmount.description
            fields["send_back_fee"] = refund.amount.description
            fields["gmt_refund"] = CivilTimeText.china.format(refund.at)
        }
        if let body = trade.body { fields["body"] = body }
        if let storeID = trade.storeID { fields["store_id"] = storeID }
        if let terminalID = trade.terminalID { fields["terminal_id"] = terminalID }
        // Alipay is not known to send empty fields, so none are sent.
        return fields.filter { !$0.value.isEmpty }
    }

    /// A signed notification for `trade` (and one of its refunds) to its `notify_url`; nil when it has none.
    public func job(for trade: SandboxTrade, refund: SandboxRefund? = nil, at now: Date) throws -> NotificationJob? {
        guard let url = trade.notifyURL, !url.isEmpty else { return nil }
        let notifyID = SandboxIdentifiers.notifyID(at: now)
        let fields = fields(for: trade, refund: refund, notifyID: notifyID, at: now)
        // Signed over every field except sign and sign_type, as notification verifiers expect.
        let message = Array(AlipayCanonical.signingString(fields).utf8)
        let sign = Data(try alipayPrivateKey.sign(sha256: message)).base64EncodedString()
        let pairs = fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            + [("sign_type", "RSA2"), ("sign", sign)]
        return NotificationJob(outTradeNo: trade.outTradeNo, notifyID: notifyID, url: url,
                               tradeStatus: trade.status.rawValue, body: Array(FormDecoding.encode(pairs).utf8))
    }
}
