import Foundation
public import PaymentModel
import Alipay

extension PaymentFlow {
    /// ScanCode's rule: Begin → (void a superseded trade → Begin again) → precreate → record the outcome.
    ///
    /// The request takes the bill's lease whenever Alipay work is left to do, so concurrent requests for one bill
    /// take turns: a request that finds the bill busy waits and is then answered as if it had come later; only
    /// when its own deadline leaves no time to wait does it answer 2004 (send the bill again). At most three
    /// voids per request: a bill whose amount keeps changing gets an answer, not a loop. Success is a QR_ISSUED
    /// record with its code URL. `requestID` (nginx's id of the HTTP request) names the lease, so that the same
    /// request passed on to another responder continues under it (`BillLease.forRequest`).
    public func issueQRCode(for bill: ScanCodeRequest, requestID: String? = nil, deadline: Deadline)
        -> Result<PaymentRecord, FlowFailure>
    {
        var turn = BillTurn(lease: .forRequest(requestID, until: alipayDeadline(deadline)), bill: bill)
        let outcome = issue(bill, turn: &turn, deadline: deadline)
        if turn.held {
            // Stopped without recording an outcome that gives the lease back: give it back now.
            try? store.release(turn.lease, billtype: bill.billtype.rawValue, billnum: bill.billnum, deadline: deadline)
        }
        return outcome
    }

    /// The lease one ScanCode request takes on its bill, and whether it holds it right now.
    struct BillTurn {
        let lease: BillLease
        let bill: ScanCodeRequest
        var held = false
    }

    private func issue(_ bill: ScanCodeRequest, turn: inout BillTurn, deadline: Deadline)
        -> Result<PaymentRecord, FlowFailure>
    {
        let clientIP = bill.clientip ?? settings.defaultClientIP
        var voids = 0
        var pause = 0.02
        while true {
            let outcome: BeginOutcome
            do {
                outcome = try store.begin(
                    bill, clientIP: clientIP, qrValiditySeconds: settings.qrValiditySeconds, lease: turn.lease,
                    deadline: deadline)
            } catch {
                return .failure(storeFailure(error, autoid: nil))
            }
            switch outcome {
            case .busy(let current):
                turn.held = false
                // The holder's Alipay work ends with its lease, before this request's own time for it does.
                let spare = turn.lease.until.remainingMilliseconds
                guard spare > 0 else { return .failure(FlowFailure(.billBusy, autoid: current?.autoid)) }
                Thread.sleep(forTimeInterval: min(pause, Double(spare) / 1000))
                pause = min(pause * 2, 0.2)
            case .existing(let record) where record.status == .qrIssued && record.codeurl != nil:
                turn.held = false
                return .success(record)
            case .new(let record), .existing(let record):
                turn.held = true
                switch precreate(record, turn: &turn, deadline: deadline) {
                case .success(let issued): return .success(issued)
                case .failure(.voidedMeanwhile): continue  // Begin again: a new trade
                case .failure(.answered(let failure)): return .failure(failure)
                }
            case .closeFirst(let old):
                turn.held = true
                voids += 1
                guard voids <= 3 else { return .failure(FlowFailure(.billBusy, autoid: old.autoid)) }
                if let failure = voidSuperseded(old, deadline: deadline) { return .failure(failure) }
            }
        }
    }

    private enum PrecreateFailure: Error {
        /// The trade was closed at Alipay before its code could be issued (a Cancel got there first).
        case voidedMeanwhile
        case answered(FlowFailure)
    }

    private func precreate(_ record: PaymentRecord, turn: inout BillTurn, deadline: Deadline)
        -> Result<PaymentRecord, PrecreateFailure>
    {
        let result: PrecreateResult
        do {
            result = try gateway.precreate(
                outTradeNo: record.outTradeNo, totalAmount: record.paymentvalue,
                subject: AlipayText.subject(record.body), body: record.detail.map(AlipayText.description),
                timeoutExpress: settings.qrTimeoutExpress, qrCodeTimeoutExpress: nil, deadline: turn.lease.until)
        } catch {
            return .failure(precreateFailure(error, record: record, turn: &turn, deadline: deadline))
        }
        do {
            let issued = try store.recordQrIssued(
                autoid: record.autoid, codeURL: result.qrCode, validitySeconds: settings.qrValiditySeconds,
                releasing: turn.lease, deadline: deadline)
            turn.held = false
            return .success(issued)
        } catch {
            return .failure(.answered(storeFailure(error, autoid: record.autoid)))
        }
    }

    /// Records what a failed precreate means for the trade and chooses the answer.
    private func precreateFailure(_ error: AlipayError, record: PaymentRecord, turn: inout BillTurn,
                                  deadline: Deadline) -> PrecreateFailure {
        let autoid = record.autoid
        switch error {
        case .business(_, _, let subCode, _) where subCode == "ACQ.TRADE_HAS_SUCCESS":
            return .answered(paidMeanwhile(record, deadline: deadline))
        case .business(_, _, let subCode, _) where subCode == "ACQ.TRADE_HAS_CLOSE":
            // Closed at Alipay (by a Cancel or the sweep): the number is spent, so record it closed, not failed.
            if (try? store.recordClosed(autoid: autoid, releasing: nil, deadline: deadline)) != nil {
                return .voidedMeanwhile
            }
            return .answered(FlowFailure(.billBusy, autoid: autoid, detail: error.description))
        case .business(let code, _, let subCode, let subMsg):
            // A signed refusal is final for this trade number: the next attempt starts a new one.
            if (try? store.recordQrFailed(autoid: autoid, code: code, subCode: subCode, message: subMsg,
                                          releasing: turn.lease, deadline: deadline)) != nil {
                turn.held = false
            }
            return .answered(FlowFailure(
                .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description))
        case .unsignedBusiness(let code, _, let subCode, let subMsg):
            // Unsigned: proves nothing about the trade, so the record stays payable and a retry precreates the
            // same trade number again.
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(
                .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description))
        case .outcomeUnknown(let cause, _):
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(.gatewayOutcomeUnknown(cause), autoid: autoid, detail: error.description))
        case .invalidSignature, .missingSignature:
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(.gatewaySignatureInvalid, autoid: autoid, detail: error.description))
        case .malformedResponse:
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(.gatewayAnswerMalformed, autoid: autoid, detail: error.description))
        case .congested:
            // Nothing was sent: the record stays INITIATED, and the bill's lease is given back on the way out.
            return .answered(FlowFailure(.gatewayCongested, autoid: autoid, detail: error.description))
        case .notSent:
            // The request's time ran out before Alipay was called: nothing happened there.
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(.ranOutBeforeAlipay, autoid: autoid, detail: error.description))
        case .invalidRequest:
            markUnknown(autoid, error, turn: &turn, deadline: deadline)
            return .answered(FlowFailure(.internalError, autoid: autoid, detail: error.description))
        }
    }

    private func markUnknown(_ autoid: Int64, _ error: AlipayError, turn: inout BillTurn, deadline: Deadline) {
        if (try? store.recordUnknown(autoid: autoid, reason: String(error.description.prefix(255)),
                                     releasing: turn.lease, deadline: deadline)) != nil {
            turn.held = false
        }
    }

    /// Voids the bill's previous trade at Alipay before a new one is issued (keeping the bill's lease). Nil when
    /// Begin may run again.
    private func voidSuperseded(_ old: PaymentRecord, deadline: Deadline) -> FlowFailure? {
        let notVoided = ServiceError(
            .gatewayOutcomeUnknown,
            message: "The bill's previous QR code could not be voided at Alipay; send the same bill again.")
        switch void(old, deadline: deadline) {
        case .success(let current) where current.status == .paid:
            return FlowFailure(.paidWhileVoiding(current), record: current)
        case .success(let current) where !current.status.isPayable:
            return nil
        case .success:
            // Alipay would not close it, yet no payment could be confirmed either.
            return FlowFailure(notVoided, autoid: old.autoid)
        case .failure(let failure) where (3001...3004).contains(failure.error.errcode):
            return FlowFailure(notVoided, autoid: old.autoid, detail: failure.detail)
        case .failure(let failure):
            return failure
        }
    }

    /// Alipay says the trade is paid: record the payment from a query (exactly once) and answer 2001.
    private func paidMeanwhile(_ record: PaymentRecord, deadline: Deadline) -> FlowFailure {
        if case .failure(let failure) = refresh(record, source: .query, deadline: deadline),
           failure.error.code == .databaseUnavailable
        {
            return failure
        }
        return FlowFailure(.alreadyPaid, autoid: record.autoid)
    }
}
