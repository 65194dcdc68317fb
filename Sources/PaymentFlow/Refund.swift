import Alipay
import CivilTime
import Foundation
public import PaymentModel

extension PaymentFlow {
    /// Refund's rule: the database decides first (paid? enough left? the same refundno means the same amount?
    /// enough on the stored-value card?) and only then is Alipay called, once per refundno, with its own
    /// `out_request_no`. Copies of one refund that arrive together wait for the first; an unknown outcome is
    /// recorded PENDING and settled by a refund query — never by a second number. `requestID` (nginx's id of the
    /// HTTP request) names the request's lease on the refund, as it names a ScanCode's on its bill
    /// (`BillLease.forRequest`), unless `request` names one itself.
    public func refund(_ request: RefundRequest, requestID: String? = nil, deadline: Deadline)
        -> Result<RefundRecord, FlowFailure>
    {
        let alipayTime = alipayDeadline(deadline)
        var request = request
        if request.leaseToken == nil { request.leaseToken = BillLease.forRequest(requestID, until: alipayTime).token }
        var pause = 0.02
        while true {
            let outcome: RefundBeginOutcome
            do {
                outcome = try store.beginRefund(
                    request, leaseMilliseconds: max(alipayTime.remainingMilliseconds, 1), deadline: deadline)
            } catch {
                return .failure(refundStoreFailure(error))
            }
            switch outcome {
            case .done(let refund):
                return answer(for: refund)
            case .busy(let refund):
                let spare = alipayTime.remainingMilliseconds
                guard spare > 0 else { return .failure(FlowFailure(.billBusy, autoid: refund.autoid)) }
                Thread.sleep(forTimeInterval: min(pause, Double(spare) / 1000))
                pause = min(pause * 2, 0.2)
            case .callAlipay(let refund):
                return callRefund(refund, deadline: deadline)
            case .query(let refund):
                return settle(refund, deadline: deadline)
            }
        }
    }

    /// Asks Alipay whether an earlier refund call took effect and records what it says; a refund Alipay never
    /// received is sent again with the same `out_request_no`. The sweep uses it for refunds left PENDING.
    public func settle(_ refund: RefundRecord, deadline: Deadline) -> Result<RefundRecord, FlowFailure> {
        let result: RefundQueryResult
        do {
            result = try gateway.refundQuery(
                .outTradeNo(refund.outTradeNo), outRequestNo: refund.outRequestNo, deadline: alipayDeadline(deadline))
        } catch {
            return refundPending(refund, error, deadline: deadline)
        }
        guard result.isRefunded else {
            // Alipay answers 10000 without refund_status for a refund it never received: send it (again).
            return callRefund(refund, deadline: deadline)
        }
        return recordRefunded(refund, at: nil, deadline: deadline)
    }

    private func callRefund(_ refund: RefundRecord, deadline: Deadline) -> Result<RefundRecord, FlowFailure> {
        do {
            _ = try gateway.refund(
                .outTradeNo(refund.outTradeNo), refundAmount: refund.amount, outRequestNo: refund.outRequestNo,
                refundReason: refund.reason, deadline: alipayDeadline(deadline))
        } catch {
            switch error {
            case .business(let code, _, let subCode, let subMsg):
                // Signed: this refund did not happen, and never will under this refundno.
                let failed = try? store.recordRefundFailed(
                    refundID: refund.refundID, code: code, subCode: subCode, message: subMsg, deadline: deadline)
                return .failure(FlowFailure(
                    .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: refund.autoid,
                    detail: error.description, refund: failed ?? refund))
            default:
                return refundPending(refund, error, deadline: deadline)
            }
        }
        return recordRefunded(refund, at: nil, deadline: deadline)
    }

    private func recordRefunded(_ refund: RefundRecord, at time: Date?, deadline: Deadline)
        -> Result<RefundRecord, FlowFailure>
    {
        do {
            return .success(try store.recordRefunded(refundID: refund.refundID, refundedAt: time, deadline: deadline))
        } catch {
            return .failure(refundStoreFailure(error, refund: refund))
        }
    }

    /// Records that the outcome is unknown and chooses the answer: the refund is `pending` — unless Alipay's
    /// notification of it was recorded meanwhile, and the outcome is known after all.
    private func refundPending(_ refund: RefundRecord, _ error: AlipayError, deadline: Deadline)
        -> Result<RefundRecord, FlowFailure>
    {
        let pending = try? store.recordRefundPending(
            refundID: refund.refundID, reason: String(error.description.prefix(255)), deadline: deadline)
        if let pending, pending.status == .refunded { return .success(pending) }
        let answer: ServiceError = switch error {
        case .outcomeUnknown(let cause, _): .refundOutcomeUnknown(cause)
        case .invalidSignature, .missingSignature: .gatewaySignatureInvalid
        case .malformedResponse: .gatewayAnswerMalformed
        case .unsignedBusiness(let code, _, let subCode, let subMsg):
            .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg)
        case .notSent: .ranOutBeforeAlipay
        case .congested: .gatewayCongested
        case .invalidRequest: .internalError
        case .business: .internalError  // answered by callRefund; only the query's refusals arrive here
        }
        return .failure(FlowFailure(answer, autoid: refund.autoid, detail: error.description, refund: pending ?? refund))
    }

    /// A finished refund's answer: refunded is success; failed repeats Alipay's refusal.
    private func answer(for refund: RefundRecord) -> Result<RefundRecord, FlowFailure> {
        switch refund.status {
        case .refunded:
            return .success(refund)
        case .failed:
            return .failure(FlowFailure(
                .gatewayRefused(code: refund.gatewayCode, subCode: refund.gatewaySubCode,
                                subMessage: refund.gatewayMessage),
                autoid: refund.autoid, refund: refund))
        case .requested, .pending:
            return .failure(FlowFailure(.refundOutcomeUnknown(nil), autoid: refund.autoid, refund: refund))
        }
    }

    private func refundStoreFailure(_ error: StoreError, refund: RefundRecord? = nil) -> FlowFailure {
        guard case .refundRefused(let refusal, _) = error else {
            var failure = storeFailure(error, autoid: refund?.autoid)
            failure.refund = refund
            return failure
        }
        let code: ErrorCode = switch refusal {
        case .notPaid: .notPaid
        case .amountMismatch: .refundNumberReused
        case .exceedsRemaining: .refundExceedsRemaining
        case .cardBalanceTooLow: .cardBalanceTooLow
        }
        return FlowFailure(ServiceError(code), autoid: refund?.autoid, refund: refund)
    }

    /// One pass over refunds left unsettled: each is asked about at Alipay and recorded (or sent again when
    /// Alipay never received it).
    public func sweepRefunds(limit: Int, deadline: Deadline) throws(StoreError) -> SweepReport {
        var report = SweepReport()
        let claimed = try store.claimStaleRefunds(
            limit: limit, leaseMilliseconds: Sweep.leaseMilliseconds(deadline), deadline: deadline)
        for refund in claimed {
            report.examined += 1
            switch settle(refund, deadline: deadline) {
            case .success: report.refunded += 1
            case .failure(let failure) where failure.refund?.status == .failed: report.closed += 1
            case .failure: report.unresolved += 1
            }
        }
        return report
    }
}

