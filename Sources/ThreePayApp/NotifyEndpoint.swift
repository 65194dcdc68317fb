import Alipay
import FastCGI
import PaymentFlow
import PaymentModel

extension Worker {
    /// `POST api/3Pay/AliPay/Notify`: Alipay's asynchronous payment notification.
    ///
    /// The signature and app_id are verified before anything is read; the flow then checks the trade against our
    /// record. `success` is answered only after the result is committed; every other answer makes Alipay send
    /// the notification again.
    func notify(_ request: Request, _ deadline: Deadline) -> Response {
        let fields: [String: String]
        do {
            fields = try AlipayNotification.verify(
                formBody: request.body, alipayPublicKey: services.alipay.alipayPublicKey,
                expectedAppID: services.alipay.appID)
        } catch {
            return refuse("refused: \(error)", status: 400)
        }
        guard let notification = TradeNotification(fields: fields) else {
            return refuse("refused: out_trade_no or trade_status missing", status: 400)
        }
        let trade = RequestLog.token(notification.outTradeNo)
        switch flow.record(notification, deadline: deadline) {
        case .accepted: return Response.text("success")
        case .refused(let reason): return refuse("refused \(trade): \(reason)", status: 400)
        case .retryLater(let reason): return refuse("not recorded \(trade): \(reason)", status: 503)
        }
    }

    /// Anything but `success`: Alipay retries. The reason is logged, never echoed to the sender.
    private func refuse(_ reason: String, status: Int) -> Response {
        RequestLog.note("notify \(reason)")
        return Response.text("fail", status: status)
    }
}
