import ContentNegotiation
import FastCGI
import PaymentFlow
import PaymentModel

extension Worker {
    /// `POST api/3Pay/AliPay/ScanCode`: negotiate, read and validate the bill, issue its QR code, answer.
    func scanCode(_ request: Request, _ deadline: Deadline) -> Response {
        let answer = Answer(for: request)
        let fields: ScanCodeFields
        switch decodeScanCode(
            contentType: request.header("content-type"), body: request.body,
            limits: DecodingLimits(maxBodyBytes: services.configuration.maxBody))
        {
        case .success(let decoded): fields = decoded
        case .failure(let error): return answer.failure(error, tag: PayScanCodeResult?.none)
        }
        let bill: ScanCodeRequest
        switch ScanCodeValidator.validate(fields) {
        case .success(let valid): bill = valid
        case .failure(let error):
            // The tag echoes the billnum only when it is a usable one; otherwise it is null.
            let tag = ScanCodeValidator.knownBillnum(fields).map { PayScanCodeResult(billnum: $0, autoid: nil, codeurl: nil) }
            return answer.failure(error, tag: tag)
        }
        switch flow.issueQRCode(for: bill, requestID: request.header("x-request-id"), deadline: deadline) {
        case .success(let record):
            return answer.envelope(Envelope.success(
                PayScanCodeResult(billnum: bill.billnum, autoid: String(record.autoid), codeurl: record.codeurl)))
        case .failure(let failure):
            log(failure, in: "ScanCode")
            let tag = PayScanCodeResult(billnum: bill.billnum, autoid: failure.autoid.map(String.init), codeurl: nil)
            return answer.failure(failure.error, tag: tag)
        }
    }
}
