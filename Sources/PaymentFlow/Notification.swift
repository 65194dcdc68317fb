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
    /// A refund's notification: `out_biz_no` (the refund's out_request_no), `refund_fee` (the trade's total
    /// refunded) and `gmt_refund` (China time).
    public var outBizNo: String?
    public var refundFee: String?
    public var gmtRefund: String?

    public init(outTradeNo: String, tradeStatus: String, tradeNo: String? = nil, totalAmount: String? = nil,
                gmtPayment: String? = nil, buyerID: String? = nil, sellerID: String? = nil, outBizNo: String? = nil,
                refundFee: String? = nil, gmtRefund: String? = nil) {
        self.outTradeNo = outTradeNo
        self.tradeStatus = tradeStatus
        self.tradeNo = tradeNo
        self.totalAmount = totalAmount
        self.gmtPayment = gmtPayment
        self.buyerID = buyerID
        self.sellerID = sellerID
        self.outBizNo = outBizNo
        self.refundFee = refundFee
        self.gmtRefund = gmtRefund
    }

    /// Reads the verified form fields; nil when `out_trade_no` or `trade_status` is missing.
    public init?(fields: [String: String]) {
        guard let outTradeNo = fields["out_trade_no"], let status = fields["trade_status"] else { return nil }
        self.init(
            outTradeNo: outTradeNo, tradeStatus: status, tradeNo: fields["trade_no"],
            totalAmount: fields["total_amount"], gmtPayment: fields["gmt_payment"], buyerID: fields["buyer_id"],
            sellerID: fields["seller_id"], outBizNo: fields["out_biz_no"], refundFee: fields["refund_fee"],
            gmtRefund: fields["gmt_refund"])
    }

    /// True for a refund's notification (Alipay sends `trade_status_sync` for refunds too).
    public var isRefund: Bool { outBizNo != nil || refundFee != nil }
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
    /// recorded exactly once, a close is recorded for a payable record, a refund once (and never taken for a
    /// second payment), anything else changes nothing.
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
        if notification.isRefund {
            return recordRefund(notification, record: record, deadline: deadline)
        }
        switch notification.tradeStatus {
        case "TRADE_SUCCESS", "TRADE_FINISHED":
            return recordPayment(notification, record: record, deadline: deadline)
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

extension PaymentFlow {
    /// Records the payment a notification reports, exactly once (a repeat changes nothing).
    private func recordPayment(_ notification: TradeNotification, record: PaymentRecord, deadline: Deadline)
        -> NotificationOutcome
    {
        guard let text = notification.totalAmount, let amount = Money(exactly: text), amount == record.paymentvalue
        else { return .refused("total_amount differs from the bill") }
        guard let tradeNo = notification.tradeNo, !tradeNo.isEmpty else { return .refused("trade_no missing") }
        do {
            _ = try store.recordPaid(
                ConfirmedPayment(
                    outTradeNo: notification.outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                    paidAt: notification.gmtPayment.flatMap(CivilTimeText.china.parse), buyerID: notification.buyerID,
                    source: .notify),
                deadline: deadline)
        } catch {
            return Self.notRecorded("payment", error)
        }
        return .accepted
    }

    /// A refund's notification (partial: TRADE_SUCCESS with refund_fee; full: TRADE_CLOSED): the payment is
    /// recorded if it was not yet (never a second time), then the refund, if ThreePay has not recorded it. Its amount
    /// comes from Alipay's refund query of `out_biz_no`, not from `refund_fee`: that is the trade's running total,
    /// which cannot tell this refund from one of ThreePay's own that is not recorded yet, nor from a later one when
    /// notifications arrive out of order.
    private func recordRefund(_ notification: TradeNotification, record: PaymentRecord, deadline: Deadline)
        -> NotificationOutcome
    {
        guard let outBizNo = notification.outBizNo, !outBizNo.isEmpty,
              let total = notification.refundFee.flatMap(Money.init(exactly:)), total.fen > 0
        else { return .refused("refund notification without out_biz_no or refund_fee") }
        if record.status != .paid {
            let payment = recordPayment(notification, record: record, deadline: deadline)
            guard payment == .accepted else { return payment }
        }
        let refundedAt = notification.gmtRefund.flatMap(CivilTimeText.china.parse)
        do {
            // A refund ThreePay knows by this out_request_no (its own) is recorded without asking Alipay.
            if try store.recordExternalRefund(outTradeNo: notification.outTradeNo, outRequestNo: outBizNo, amount: nil,
                                              refundedAt: refundedAt, source: .notify, deadline: deadline) != nil {
                return .accepted
            }
        } catch {
            return Self.notRecorded("refund", error)
        }
        let refund: RefundQueryResult
        do {
            refund = try gateway.refundQuery(.outTradeNo(notification.outTradeNo), outRequestNo: outBizNo,
                                             deadline: alipayDeadline(deadline))
        } catch {
            return .retryLater("refund \(outBizNo) not confirmed by a refund query: \(error)")
        }
        guard refund.isRefunded, let amount = refund.refundAmount, amount.fen > 0 else {
            return .retryLater("the refund query does not report refund \(outBizNo) as refunded")
        }
        do {
            _ = try store.recordExternalRefund(
                outTradeNo: notification.outTradeNo, outRequestNo: outBizNo, amount: amount, refundedAt: refundedAt,
                source: .notify, deadline: deadline)
        } catch {
            return Self.notRecorded("refund", error)
        }
        return .accepted
    }

    /// A store error as the answer to Alipay: sent again later when the database is unavailable, else refused.
    private static func notRecorded(_ what: String, _ error: StoreError) -> NotificationOutcome {
        if case .unavailable = error { return .retryLater("\(what) not recorded: \(error)") }
        return .refused("\(what) not recorded: \(error)")
    }
}
