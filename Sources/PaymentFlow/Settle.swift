import Alipay
import CivilTime
import Foundation
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

    /// Makes a payable record's trade unpayable at Alipay and records it; other records come back as they are.
    ///
    /// `alipay.trade.close` works once the buyer has scanned. Before the first scan Alipay has no trade to close
    /// (`ACQ.TRADE_NOT_EXIST`) and the code would stay payable, so the documented reversal follows:
    /// `alipay.trade.cancel`, which closes the trade — or, if it was paid meanwhile, refunds it; then the payment
    /// and its refund are both recorded. A trade paid meanwhile is recorded as paid and returned so.
    public func void(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        guard record.status.isPayable else { return .success(record) }
        do {
            _ = try gateway.close(.outTradeNo(record.outTradeNo), deadline: alipayDeadline(deadline))
        } catch {
            switch error {
            case .business(_, _, let subCode, _) where subCode == "ACQ.TRADE_NOT_EXIST":
                return cancelUnscanned(record, deadline: deadline)
            case .business(_, _, let subCode, _) where subCode == "ACQ.TRADE_HAS_CLOSE":
                break  // closed already: nothing can be paid on it any more
            case .business(_, _, let subCode, _)
            where subCode == "ACQ.TRADE_STATUS_ERROR" || subCode == "ACQ.TRADE_HAS_SUCCESS":
                return refresh(record, source: .query, deadline: deadline)  // paid meanwhile: record it
            default:
                return .failure(gatewayFailure(error, autoid: record.autoid))
            }
        }
        return recordClosed(record, deadline: deadline)
    }

    private func recordClosed(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        do {
            return .success(try store.recordClosed(autoid: record.autoid, releasing: nil, deadline: deadline))
        } catch {
            if case .alreadyPaid = error, let paid = try? store.find(autoid: record.autoid, deadline: deadline) {
                return .success(paid)
            }
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    /// `alipay.trade.cancel` for a trade close could not reach, repeated while Alipay asks for it (`retry_flag`)
    /// and time is left; its `action` says what it did.
    private func cancelUnscanned(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        let alipayTime = alipayDeadline(deadline)
        var pause = 0.05
        while true {
            let result: CancelResult
            do {
                result = try gateway.cancel(.outTradeNo(record.outTradeNo), deadline: alipayTime)
            } catch {
                return .failure(gatewayFailure(error, autoid: record.autoid))
            }
            if !result.shouldRetry {
                guard result.action == "refund" else { return recordClosed(record, deadline: deadline) }
                return recordCancelRefund(record, tradeNo: result.tradeNo, deadline: deadline)
            }
            guard alipayTime.remainingMilliseconds > Int(pause * 1000) else {
                return .failure(FlowFailure(
                    ServiceError(.gatewayOutcomeUnknown,
                                 message: "Alipay asked to repeat the voiding of the QR code and time ran out; send the same request again."),
                    autoid: record.autoid))
            }
            Thread.sleep(forTimeInterval: pause)
            pause = min(pause * 2, 0.5)
        }
    }

    /// The trade was paid while its code was being voided, and Alipay's cancel refunded it: the payment and its
    /// full refund are recorded, each once.
    private func recordCancelRefund(_ record: PaymentRecord, tradeNo: String?, deadline: Deadline)
        -> Result<PaymentRecord, FlowFailure>
    {
        guard let tradeNo, !tradeNo.isEmpty else {
            return .failure(FlowFailure(.gatewayAnswerMalformed, autoid: record.autoid,
                                        detail: "cancel answered action=refund without trade_no"))
        }
        do {
            _ = try store.recordPaid(
                ConfirmedPayment(outTradeNo: record.outTradeNo, tradeNo: tradeNo, totalAmount: record.paymentvalue,
                                 paidAt: nil, buyerID: nil, source: .query),
                deadline: deadline)
            _ = try store.recordExternalRefund(
                outTradeNo: record.outTradeNo, outRequestNo: record.outTradeNo, amount: nil, refundedAt: nil,
                source: .cancel, deadline: deadline)
            return .success(try store.find(autoid: record.autoid, deadline: deadline) ?? record)
        } catch {
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    /// Cancel's rule: void the bill's QR code; a bill paid meanwhile is answered 2001 with its record.
    public func cancel(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        switch void(record, deadline: deadline) {
        case .success(let current) where current.status == .paid:
            .failure(FlowFailure(.paidWhileVoiding(current), record: current))
        case let outcome:
            outcome
        }
    }
}

extension ServiceError {
    /// 2001 for a bill found paid while its code was being voided, saying whether Alipay refunded it.
    static func paidWhileVoiding(_ record: PaymentRecord) -> ServiceError {
        guard record.isFullyRefunded else {
            return ServiceError(
                .alreadyPaid, message: "This bill has already been paid; it cannot be voided (refund it instead).")
        }
        return ServiceError(
            .alreadyPaid,
            message: "This bill was paid while its QR code was being voided; Alipay refunded the payment in full.")
    }
}
