import Alipay
import CivilTime
import FastCGI
import PaymentModel
import PaymentStore

extension Worker {
    /// `POST api/3Pay/AliPay/Notify`: Alipay's asynchronous payment notification.
    ///
    /// The signature and app_id are verified before anything is read; then the trade must be ours,
    /// with the amount (and seller, when configured) we recorded. `success` is answered only after
    /// the result is committed; every other answer makes Alipay send the notification again.
    func notify(_ request: Request) -> Response {
        let fields: [String: String]
        do {
            fields = try AlipayNotification.verify(
                formBody: request.body, alipayPublicKey: services.alipay.alipayPublicKey,
                expectedAppID: services.alipay.appID)
        } catch {
            return refuse("refused: \(error)", status: 400)
        }
        guard let outTradeNo = fields["out_trade_no"], let status = fields["trade_status"] else {
            return refuse("refused: out_trade_no or trade_status missing", status: 400)
        }
        let trade = RequestLog.token(outTradeNo)
        let record: PaymentRecord
        do {
            guard let found = try store().find(outTradeNo: outTradeNo) else {
                return refuse("refused: unknown out_trade_no \(trade)", status: 400)
            }
            record = found
        } catch {
            forgetStore(after: error)
            return refuse("database unavailable for \(trade): \(error)", status: 503)
        }
        if let seller = services.configuration.alipay.sellerID, fields["seller_id"] != seller {
            return refuse("refused: seller_id of \(trade) is not ours", status: 400)
        }
        switch status {
        case "TRADE_SUCCESS", "TRADE_FINISHED":
            guard let amountText = fields["total_amount"], let amount = Money(exactly: amountText),
                  amount == record.paymentvalue
            else { return refuse("refused: total_amount of \(trade) differs from the bill", status: 400) }
            guard let tradeNo = fields["trade_no"], !tradeNo.isEmpty else {
                return refuse("refused: trade_no of \(trade) missing", status: 400)
            }
            do {
                _ = try store().recordPaid(
                    outTradeNo: outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                    paidAt: fields["gmt_payment"].flatMap(CivilTimeText.china.parse), buyerID: fields["buyer_id"],
                    source: .notify)
            } catch {
                forgetStore(after: error)
                let code = if case .unavailable = error { 503 } else { 400 }
                return refuse("payment of \(trade) not recorded: \(error)", status: code)
            }
        case "TRADE_CLOSED":
            if record.status.isPayable {
                do { _ = try store().recordClosed(autoid: record.autoid) } catch {
                    if case .alreadyPaid = error { break }
                    forgetStore(after: error)
                    return refuse("close of \(trade) not recorded: \(error)", status: 503)
                }
            }
        default:
            break  // WAIT_BUYER_PAY and anything newer: nothing to record
        }
        return Response.text("success")
    }

    /// Anything but `success`: Alipay retries. The reason is logged, never echoed to the sender.
    private func refuse(_ reason: String, status: Int) -> Response {
        RequestLog.note("notify \(reason)")
        return Response.text("fail", status: status)
    }
}
