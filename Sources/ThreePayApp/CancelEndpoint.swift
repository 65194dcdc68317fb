import Alipay
import ContentNegotiation
import FastCGI
import PaymentModel
import PaymentStore

extension Worker {
    /// `POST api/3Pay/AliPay/Cancel`: a cashier voids a bill's unpaid QR code (`alipay.trade.close`).
    /// Voiding twice is harmless; a bill that was paid meanwhile is recorded as paid and answered 2001.
    func cancel(_ request: Request) -> Response {
        let answer = Answer(for: request)
        let record: PaymentRecord
        switch lookUpRecord(request, answer) {
        case .found(let found): record = found
        case .answered(let response): return response
        }
        switch void(record) {
        case .success(let current):
            if current.status == .paid {
                return answer.failure(
                    ServiceError(.alreadyPaid, message: "This bill has already been paid; it cannot be voided (refund it instead)."),
                    tag: PayQueryResult(record: current))
            }
            return answer.envelope(Envelope.success(PayQueryResult(record: current)))
        case .failure(let failure):
            return answer.failure(failure.error, tag: PayQueryResult(record: record))
        }
    }

    /// Closes a payable record's trade at Alipay and records it; other records are returned as they are.
    func void(_ record: PaymentRecord) -> Result<PaymentRecord, IssueFailure> {
        guard record.status.isPayable else { return .success(record) }
        do {
            _ = try alipay.close(.outTradeNo(record.outTradeNo))
        } catch {
            switch error {
            case .business(_, _, let subCode, _)
            where subCode == "ACQ.TRADE_NOT_EXIST" || subCode == "ACQ.TRADE_HAS_CLOSE":
                break  // never scanned, or closed already: nothing can be paid on it any more
            case .business(_, _, let subCode, _)
            where subCode == "ACQ.TRADE_STATUS_ERROR" || subCode == "ACQ.TRADE_HAS_SUCCESS":
                return refresh(record)  // paid meanwhile: record it
            default:
                return .failure(gatewayQueryFailure(error, autoid: record.autoid))
            }
        }
        do {
            return .success(try store().recordClosed(autoid: record.autoid))
        } catch {
            if case .alreadyPaid = error, let paid = try? store().find(autoid: record.autoid) { return .success(paid) }
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }
}
