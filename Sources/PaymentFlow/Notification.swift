import Alipay
import CivilTime
public import PaymentModel

/// An asynchronous notification whose signature and app_id Alipay's verifier has already accepted: the fields
/// the payment rules read.
public struct TradeNotification: Sendable, Equatable {
    public var outTradeNo: String
    public var tradeStatus: String
    public var tradeNo: String?
    public var totalAmount: String?
    /// `gmt_payment`, China time, as sent.
    public var gmtPayment: String?
    public var buyerID: String?
    public var sellerID: String?

    public init(outTradeNo: String, tradeStatus: String, tradeNo: String? = nil, totalAmount: String? = nil,
                gmtPayment: String? = nil, buyerID: String? = nil, sellerID: String? = nil) {
        self.outTradeNo = outTradeNo
        self.tradeStatus = tradeStatus
        self.tradeNo = tradeNo
        self.totalAmount = totalAmount
        self.gmtPayment = gmtPayment
        self.buyerID = buyerID
        self.sellerID = sellerID
    }

    /// Reads the verified form fields; nil when `out_trade_no` or `trade_status` is missing.
    public init?(fields: [String: String]) {
        guard let outTradeNo = fields["out_trade_no"], let status = fields["trade_status"] else { return nil }
        self.init(
            outTradeNo: outTradeNo, tradeStatus: status, tradeNo: fields["trade_no"],
            totalAmount: fields["total_amount"], gmtPayment: fields["gmt_payment"], buyerID: fields["buyer_id"],
            sellerID: fields["seller_id"])
    }
}

/// What the notification endpoint answers Alipay.
public enum NotificationOutcome: Sendable, Equatable {
    /// Recorded (or nothing to record): answer `success`, Alipay stops sending.
    case accepted
    /// Not ours or not consistent with our record: nothing changed; Alipay may send it again. The reason is
    /// for the log only.
    case refused(String)
    /// The database could not record it now: answer so that Alipay sends it again.
    case retryLater(String)
}

extension PaymentFlow {
    /// Notify's rule: the trade must be ours, the seller (when configured) and the amount ours; a payment is
    /// recorded exactly once, a close is recorded for a payable record, anything else changes nothing.
    public func record(_ notification: TradeNotification, deadline: Deadline) -> NotificationOutcome {
        let trade = notification.outTradeNo
        let record: PaymentRecord
        do {
            guard let found = try store.find(outTradeNo: trade, deadline: deadline) else {
                return .refused("unknown out_trade_no")
            }
            record = found
        } catch {
            return .retryLater("database unavailable: \(error)")
        }
        if let seller = settings.sellerID, notification.sellerID != seller {
            return .refused("seller_id is not ours")
        }
        switch notification.tradeStatus {
        case "TRADE_SUCCESS", "TRADE_FINISHED":
            guard let text = notification.totalAmount, let amount = Money(exactly: text),
                  amount == record.paymentvalue
            else { return .refused("total_amount differs from the bill") }
            guard let tradeNo = notification.tradeNo, !tradeNo.isEmpty else { return .refused("trade_no missing") }
            do {
                _ = try store.recordPaid(
                    ConfirmedPayment(
                        outTradeNo: trade, tradeNo: tradeNo, totalAmount: amount,
                        paidAt: notification.gmtPayment.flatMap(CivilTimeText.china.parse), buyerID: notification.buyerID,
                        source: .notify),
                    deadline: deadline)
            } catch {
                if case .unavailable = error { return .retryLater("payment not recorded: \(error)") }
                return .refused("payment not recorded: \(error)")
            }
        case "TRADE_CLOSED":
            if record.status.isPayable {
                do { _ = try store.recordClosed(autoid: record.autoid, releasing: nil, deadline: deadline) } catch {
                    if case .alreadyPaid = error { break }
                    return .retryLater("close not recorded: \(error)")
                }
            }
        default:
            break  // WAIT_BUYER_PAY and anything newer: nothing to record
        }
        return .accepted
    }
}
