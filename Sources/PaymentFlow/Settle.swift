import Alipay
import CivilTime
public import PaymentModel

extension PaymentFlow {
    /// Asks Alipay about a record that is not final yet and records the answer (paid or closed). Final records,
    /// and trades the buyer has not scanned yet, come back as they are.
    public func refresh(_ record: PaymentRecord, source: PaymentSource, deadline: Deadline)
        -> Result<PaymentRecord, FlowFailure>
    {
        guard record.status.isPayable else { return .success(record) }
        let result: TradeQueryResult
        do {
            result = try gateway.query(.outTradeNo(record.outTradeNo), deadline: alipayDeadline(deadline))
        } catch {
            if case .business(_, _, let subCode, _) = error, subCode == "ACQ.TRADE_NOT_EXIST" {
                return .success(record)  // not scanned yet: still waiting
            }
            return .failure(gatewayFailure(error, autoid: record.autoid))
        }
        do {
            if result.tradeStatus.isPaid, let tradeNo = result.tradeNo, let amount = result.totalAmount {
                _ = try store.recordPaid(
                    ConfirmedPayment(
                        outTradeNo: record.outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                        paidAt: result.sendPayDate.flatMap(CivilTimeText.china.parse), buyerID: result.buyerUserID,
                        source: source),
                    deadline: deadline)
            } else if result.tradeStatus == .closed {
                _ = try store.recordClosed(autoid: record.autoid, releasing: nil, deadline: deadline)
            } else {
                return .success(record)
            }
            return .success(try store.find(autoid: record.autoid, deadline: deadline) ?? record)
        } catch {
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    /// Closes a payable record's trade at Alipay and records it; other records come back as they are. A trade
    /// paid meanwhile is recorded as paid and returned so.
    public func void(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        guard record.status.isPayable else { return .success(record) }
        do {
            _ = try gateway.close(.outTradeNo(record.outTradeNo), deadline: alipayDeadline(deadline))
        } catch {
            switch error {
            case .business(_, _, let subCode, _)
            where subCode == "ACQ.TRADE_NOT_EXIST" || subCode == "ACQ.TRADE_HAS_CLOSE":
                break  // never scanned, or closed already: nothing can be paid on it any more
            case .business(_, _, let subCode, _)
            where subCode == "ACQ.TRADE_STATUS_ERROR" || subCode == "ACQ.TRADE_HAS_SUCCESS":
                return refresh(record, source: .query, deadline: deadline)  // paid meanwhile: record it
            default:
                return .failure(gatewayFailure(error, autoid: record.autoid))
            }
        }
        do {
            return .success(try store.recordClosed(autoid: record.autoid, releasing: nil, deadline: deadline))
        } catch {
            if case .alreadyPaid = error, let paid = try? store.find(autoid: record.autoid, deadline: deadline) {
                return .success(paid)
            }
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    /// Cancel's rule: void the bill's QR code; a bill paid meanwhile is answered 2001 with its record.
    public func cancel(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        switch void(record, deadline: deadline) {
        case .success(let current) where current.status == .paid:
            .failure(FlowFailure(
                ServiceError(
                    .alreadyPaid, message: "This bill has already been paid; it cannot be voided (refund it instead)."),
                record: current))
        case let outcome:
            outcome
        }
    }
}
