public import PaymentModel
import Alipay

extension PaymentFlow {
    /// ScanCode's rule: Begin → (void a superseded trade → Begin again) → precreate → record the outcome.
    ///
    /// At most three rounds: a bill whose amount keeps changing under concurrent requests gets an answer, not
    /// a loop. Success is a QR_ISSUED record with its code URL.
    public func issueQRCode(for bill: ScanCodeRequest, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        let clientIP = bill.clientip ?? settings.defaultClientIP
        for _ in 0..<3 {
            let outcome: BeginOutcome
            do {
                outcome = try store.begin(
                    bill, clientIP: clientIP, qrValiditySeconds: settings.qrValiditySeconds, deadline: deadline)
            } catch {
                return .failure(storeFailure(error, autoid: nil))
            }
            switch outcome {
            case .existing(let record) where record.status == .qrIssued && record.codeurl != nil:
                return .success(record)
            case .new(let record), .existing(let record):
                return precreate(record, deadline: deadline)
            case .closeFirst(let old):
                if let failure = voidSuperseded(old, deadline: deadline) { return .failure(failure) }
            }
        }
        return .failure(FlowFailure(
            .storeRefused("the bill changed while its previous QR code was being voided; send it again")))
    }

    private func precreate(_ record: PaymentRecord, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        let result: PrecreateResult
        do {
            result = try gateway.precreate(
                outTradeNo: record.outTradeNo, totalAmount: record.paymentvalue,
                subject: AlipayText.subject(record.body), body: record.detail.map(AlipayText.description),
                timeoutExpress: settings.qrTimeoutExpress, qrCodeTimeoutExpress: nil, deadline: deadline)
        } catch {
            return .failure(precreateFailure(error, record: record, deadline: deadline))
        }
        do {
            return .success(try store.recordQrIssued(
                autoid: record.autoid, codeURL: result.qrCode, validitySeconds: settings.qrValiditySeconds,
                deadline: deadline))
        } catch {
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    /// Records what a failed precreate means for the trade and chooses the answer.
    private func precreateFailure(_ error: AlipayError, record: PaymentRecord, deadline: Deadline) -> FlowFailure {
        let autoid = record.autoid
        switch error {
        case .business(let code, _, let subCode, let subMsg):
            if subCode == "ACQ.TRADE_HAS_SUCCESS" { return paidMeanwhile(record, deadline: deadline) }
            // A signed refusal is final for this trade number: the next attempt starts a new one.
            _ = try? store.recordQrFailed(
                autoid: autoid, code: code, subCode: subCode, message: subMsg, deadline: deadline)
            return FlowFailure(
                .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description)
        case .unsignedBusiness(let code, _, let subCode, let subMsg):
            // Unsigned: proves nothing about the trade, so the record stays payable and a retry precreates the
            // same trade number again.
            markUnknown(autoid, error, deadline: deadline)
            return FlowFailure(
                .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description)
        case .outcomeUnknown:
            markUnknown(autoid, error, deadline: deadline)
            return FlowFailure(.gatewayOutcomeUnknown, autoid: autoid, detail: error.description)
        case .invalidSignature, .missingSignature:
            markUnknown(autoid, error, deadline: deadline)
            return FlowFailure(.gatewaySignatureInvalid, autoid: autoid, detail: error.description)
        case .malformedResponse:
            markUnknown(autoid, error, deadline: deadline)
            return FlowFailure(.gatewayAnswerMalformed, autoid: autoid, detail: error.description)
        case .invalidRequest, .notSent:
            markUnknown(autoid, error, deadline: deadline)
            return FlowFailure(.internalError, autoid: autoid, detail: error.description)
        }
    }

    private func markUnknown(_ autoid: Int64, _ error: AlipayError, deadline: Deadline) {
        _ = try? store.recordUnknown(autoid: autoid, reason: String(error.description.prefix(255)), deadline: deadline)
    }

    /// Voids the bill's previous trade at Alipay before a new one is issued. Nil when Begin may run again.
    private func voidSuperseded(_ old: PaymentRecord, deadline: Deadline) -> FlowFailure? {
        let notVoided = ServiceError(
            .gatewayOutcomeUnknown,
            message: "The bill's previous QR code could not be voided at Alipay; retry with the same bill number.")
        switch void(old, deadline: deadline) {
        case .success(let current) where current.status == .paid:
            return FlowFailure(.alreadyPaid, autoid: old.autoid)
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
