import Alipay
import ContentNegotiation
import FastCGI
import Foundation
import PaymentModel
import PaymentStore

extension Worker {
    /// `POST api/3Pay/AliPay/ScanCode`: negotiate, read and validate the bill, record it through
    /// `Sp_3Pay_Offline_ReceiveMoney_Begin`, ask Alipay for the QR code, record the outcome, answer.
    func scanCode(_ request: Request) -> Response {
        let answer = Answer(for: request)
        let fields: ScanCodeFields
        switch decodeScanCode(
            contentType: request.header("content-type"), body: request.body,
            limits: DecodingLimits(maxBodyBytes: services.configuration.maxBody, maxDepth: 32))
        {
        case .success(let decoded): fields = decoded
        case .failure(let error): return answer.failure(error, tag: PayScanCodeResult?.none)
        }
        let bill: ScanCodeRequest
        switch ScanCodeValidator.validate(fields) {
        case .success(let valid): bill = valid
        case .failure(let error):
            return answer.failure(error, tag: PayScanCodeResult(billnum: fields.billnum, autoid: nil, codeurl: nil))
        }
        let outcome = issueQRCode(for: bill)
        switch outcome {
        case .success(let record):
            return answer.envelope(Envelope.success(
                PayScanCodeResult(billnum: bill.billnum, autoid: String(record.autoid), codeurl: record.codeurl)))
        case .failure(let failure):
            let tag = PayScanCodeResult(billnum: bill.billnum, autoid: failure.autoid.map(String.init), codeurl: nil)
            if failure.error.code == .internalError || failure.error.code == .databaseUnavailable {
                RequestLog.note("ScanCode failed: \(failure.detail)")
            }
            return answer.failure(failure.error, tag: tag)
        }
    }

    /// Why a QR code could not be issued, with the record it concerns when there is one.
    struct IssueFailure: Error {
        var error: ServiceError
        var autoid: Int64?
        /// For the log only: never shown to the client.
        var detail: String = ""
    }

    /// Begin → (close a superseded trade → Begin again) → precreate → record. At most three rounds:
    /// a bill whose amount keeps changing under concurrent requests gets an answer, not a loop.
    func issueQRCode(for bill: ScanCodeRequest) -> Result<PaymentRecord, IssueFailure> {
        let validity = services.configuration.qrTimeout
        let input = BeginInput(
            billnum: bill.billnum, billtype: bill.billtype.rawValue, body: bill.body, paytype: bill.paytype,
            paymentvalue: bill.paymentvalue, detail: bill.detail,
            clientip: bill.clientip ?? services.configuration.defaultClientIP, cardno: bill.cardno,
            qrValiditySeconds: validity.seconds)
        for _ in 0..<3 {
            let outcome: BeginOutcome
            do { outcome = try store().begin(input) } catch { return .failure(storeFailure(error, autoid: nil)) }
            switch outcome {
            case .existing(let record) where record.status == .qrIssued && record.codeurl != nil:
                return .success(record)
            case .new(let record), .existing(let record):
                return precreate(record, validity: validity)
            case .closeFirst(let old):
                if let failure = closeSuperseded(old) { return .failure(failure) }
            }
        }
        return .failure(IssueFailure(
            error: .storeRefused("the bill changed while its previous QR code was being voided; send it again"),
            autoid: nil))
    }

    private func precreate(_ record: PaymentRecord, validity: QRTimeout) -> Result<PaymentRecord, IssueFailure> {
        do {
            let result = try alipay.precreate(
                outTradeNo: record.outTradeNo, totalAmount: record.paymentvalue,
                subject: AlipayText.subject(record.body), body: record.detail.map(AlipayText.description),
                timeoutExpress: validity.alipayText)
            do {
                let issued = try store().recordQrIssued(
                    autoid: record.autoid, codeURL: result.qrCode, validitySeconds: validity.seconds)
                return .success(issued)
            } catch {
                return .failure(storeFailure(error, autoid: record.autoid))
            }
        } catch {
            return .failure(gatewayFailure(error, record: record))
        }
    }

    /// Records what a failed precreate means and chooses the answer.
    private func gatewayFailure(_ error: AlipayError, record: PaymentRecord) -> IssueFailure {
        let autoid = record.autoid
        switch error {
        case .business(let code, _, let subCode, let subMsg):
            if subCode == "ACQ.TRADE_HAS_SUCCESS" {
                return paidMeanwhile(record)
            }
            // A signed refusal is final for this trade number: the next attempt starts a new one.
            _ = try? store().recordQrFailed(autoid: autoid, code: code, subCode: subCode, message: subMsg)
            return IssueFailure(
                error: .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description)
        case .unsignedBusiness(let code, _, let subCode, let subMsg):
            // Unsigned: proves nothing about the trade, so the record stays payable and a retry
            // precreates the same trade number again.
            markUnknown(autoid, error)
            return IssueFailure(
                error: .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description)
        case .outcomeUnknown:
            markUnknown(autoid, error)
            return IssueFailure(error: .gatewayOutcomeUnknown, autoid: autoid, detail: error.description)
        case .invalidSignature, .missingSignature:
            markUnknown(autoid, error)
            return IssueFailure(error: .gatewaySignatureInvalid, autoid: autoid, detail: error.description)
        case .malformedResponse:
            markUnknown(autoid, error)
            return IssueFailure(error: .gatewayAnswerMalformed, autoid: autoid, detail: error.description)
        case .invalidRequest:
            markUnknown(autoid, error)
            return IssueFailure(error: .internalError, autoid: autoid, detail: error.description)
        }
    }

    private func markUnknown(_ autoid: Int64, _ error: AlipayError) {
        _ = try? store().recordUnknown(autoid: autoid, reason: String(error.description.prefix(255)))
    }

    /// Voids the bill's previous trade at Alipay before a new one is issued, and records it.
    /// Returns nil when the caller may call Begin again.
    private func closeSuperseded(_ old: PaymentRecord) -> IssueFailure? {
        let notVoided = ServiceError(
            .gatewayOutcomeUnknown,
            message: "The bill's previous QR code could not be voided at Alipay; retry with the same bill number.")
        switch void(old) {
        case .success(let current) where current.status == .paid:
            return IssueFailure(error: .alreadyPaid, autoid: old.autoid)
        case .success(let current) where !current.status.isPayable:
            return nil
        case .success:
            // Alipay would not close it, yet no payment could be confirmed either.
            return IssueFailure(error: notVoided, autoid: old.autoid)
        case .failure(let failure) where (3001...3004).contains(failure.error.errcode):
            return IssueFailure(error: notVoided, autoid: old.autoid, detail: failure.detail)
        case .failure(let failure):
            return failure
        }
    }

    /// Alipay says the trade is paid: record the payment from a query (exactly once) and answer 2001.
    private func paidMeanwhile(_ record: PaymentRecord) -> IssueFailure {
        if case .failure(let failure) = refresh(record), failure.error.code == .databaseUnavailable { return failure }
        return IssueFailure(error: .alreadyPaid, autoid: record.autoid)
    }

    func storeFailure(_ error: StoreError, autoid: Int64?) -> IssueFailure {
        forgetStore(after: error)
        switch error {
        case .alreadyPaid:
            // The database's text names the internal trade number; the cashier needs only this.
            return IssueFailure(error: .alreadyPaid, autoid: autoid)
        case .rule(let message):
            return IssueFailure(error: .storeRefused(message), autoid: autoid)
        case .notFound:
            return IssueFailure(error: .recordNotFound, autoid: autoid)
        case .unavailable:
            return IssueFailure(error: .databaseUnavailable, autoid: autoid, detail: error.description)
        }
    }
}

/// Texts sent to Alipay within its field limits (subject ≤ 256, body ≤ 128 characters). The full
/// texts stay in the payment record; only the copy shown in the buyer's Alipay app is shortened.
enum AlipayText {
    static func subject(_ text: String) -> String { String(text.prefix(256)) }
    static func description(_ text: String) -> String { String(text.prefix(128)) }
}
