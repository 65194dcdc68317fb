import FastCGI
import Foundation
import PaymentFlow
import PaymentModel
import QRCode

extension Worker {
    /// `GET api/3Pay/AliPay/QR`: the bill's payable QR code as a picture (PNG, or SVG with `format=svg`), by
    /// `autoid` or `billnum` + `billtype`. A bill without a payable code gets an envelope (2001 paid, 2003
    /// unknown, 2010 closed/expired/refused/not issued), never an old picture.
    func qrPicture(_ request: Request, _ deadline: Deadline) -> Response {
        let answer = Answer(for: request)
        let options: PictureOptions
        switch PictureOptions.read(query: request.query) {
        case .success(let read): options = read
        case .failure(let error): return answer.failure(error, tag: PayQueryResult?.none).notStored()
        }
        let record: PaymentRecord
        switch namedRecord(request, deadline, in: "QR") {
        case .failure(let failure): return answer.failure(failure.error, tag: failure.tag).notStored()
        case .success(let found): record = found
        }
        let availability = record.codeAvailability(at: Date())
        guard case .payable(let codeURL, _) = availability else {
            return answer.failure(.noPayableCode(availability), tag: PayQueryResult(record: record)).notStored()
        }
        do {
            let picture = QRPicture(try QRMatrix(encoding: codeURL), scale: options.scale)
            let body: [UInt8]
            let contentType: String
            switch options.format {
            case .png: (body, contentType) = (try picture.png(), "image/png")
            case .svg: (body, contentType) = (Array(picture.svg().utf8), "image/svg+xml; charset=utf-8")
            }
            return Response(
                status: 200,
                headers: [
                    ("Content-Type", contentType), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                    ("X-ThreePay-Errcode", "0"),
                ],
                body: body)
        } catch {
            RequestLog.note("QR failed for autoid \(record.autoid): \(error)")
            return answer.failure(ServiceError.internalError, tag: PayQueryResult(record: record)).notStored()
        }
    }

    /// The record of the bill a QR or Cashier request names, or why there is none (with the tag to answer).
    func namedRecord(_ request: Request, _ deadline: Deadline, in endpoint: String)
        -> Result<PaymentRecord, LookupFailure>
    {
        guard !request.query.isEmpty else {
            // A bare address (someone typed the route): name what is missing rather than an empty body.
            let missing = ServiceError(.validationFailed, message: "The billnum and billtype fields are required (or give autoid).")
            return .failure(LookupFailure(error: missing, tag: nil))
        }
        let lookup: BillLookup
        switch BillLookupRequest.read(request, maxBody: services.configuration.maxBody) {
        case .success(let read): lookup = read
        case .failure(let error): return .failure(LookupFailure(error: error, tag: nil))
        }
        switch flow.find(lookup, deadline: deadline) {
        case .success(let found): return .success(found)
        case .failure(let failure):
            log(failure, in: endpoint)
            return .failure(LookupFailure(error: failure.error, tag: lookup.tag))
        }
    }
}

/// A request whose bill could not be found: the error, and the tag of the envelope that answers it.
struct LookupFailure: Error {
    let error: ServiceError
    let tag: PayQueryResult?
}

extension ServiceError {
    /// The answer for a record whose code may not be shown: 2001 when it is paid, else 2010 saying why.
    static func noPayableCode(_ availability: CodeAvailability) -> ServiceError {
        let reason: String
        switch availability {
        case .paid: return .alreadyPaid
        case .payable: return .internalError
        case .unavailable(.closed): reason = "This bill's QR code was closed"
        case .unavailable(.expired): reason = "This bill's QR code has expired"
        case .unavailable(.refused): reason = "Alipay refused this bill's QR code"
        case .unavailable(.notIssued): reason = "No QR code has been issued for this bill"
        }
        return ServiceError(.noPayableCode, message: reason + "; send the bill again for a new one.")
    }
}

extension Response {
    /// The answer marked never to be stored: a QR code or page must not outlive the bill's state.
    func notStored() -> Response {
        var copy = self
        copy.headers.removeAll { Response.sameName($0.0, "Cache-Control") }
        copy.headers.append(("Cache-Control", "no-store"))
        return copy
    }
}
