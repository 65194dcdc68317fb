import CashierPage
import CivilTime
import FastCGI
import Foundation
import PaymentFlow
import PaymentModel
import QRCode

extension Worker {
    /// `GET api/3Pay/AliPay/Cashier`: the cashier page for a bill, by `autoid` or `billnum` + `billtype`. It
    /// shows the payable code (and follows the bill until it is paid) or says why there is none; a request
    /// that names no known bill gets the page in its error state with the errcode and errmsg. The
    /// `X-ThreePay-Errcode` header carries what the QR route would answer for the same bill.
    func cashier(_ request: Request, _ deadline: Deadline) -> Response {
        let prefix = Worker.linkPrefix(request.path)
        let record: PaymentRecord
        switch namedRecord(request, deadline, in: "Cashier") {
        case .success(let found): record = found
        case .failure(let failure): return Worker.cashierPage(.failed(failure.error, linkPrefix: prefix), failure.error)
        }
        var view = CashierView(record: record, linkPrefix: prefix)
        let availability = record.codeAvailability(at: Date())
        switch availability {
        case .payable(let codeURL, let expiresAt):
            do {
                view.pictureSide = QRPicture(try QRMatrix(encoding: codeURL)).pixelsPerSide
            } catch {
                RequestLog.note("Cashier failed for autoid \(record.autoid): \(error)")
                return Worker.cashierPage(.failed(.internalError, linkPrefix: prefix), .internalError)
            }
            view.state = .waiting
            view.codeURL = codeURL
            view.expiresInSeconds = Int(expiresAt.timeIntervalSinceNow.rounded(.up))
            return Worker.cashierPage(view, nil)
        case .paid:
            view.state = .paid
            view.paidAt = record.paidAt.map(CivilTimeText.china.format)
        case .unavailable(let reason):
            switch reason {
            case .closed: view.state = .closed
            case .expired: view.state = .expired
            case .refused: view.state = .failed
            case .notIssued: view.state = .pending
            }
        }
        return Worker.cashierPage(view, .noPayableCode(availability), status: 200)
    }

    /// `GET api/3Pay/AliPay/CashierIcon`: the page's icon (the same for every bill, so it may be cached).
    func cashierIcon(_ request: Request, _ deadline: Deadline) -> Response {
        Response(
            status: 200,
            headers: [
                ("Content-Type", "image/svg+xml; charset=utf-8"), ("Cache-Control", "public, max-age=86400"),
                ("X-Content-Type-Options", "nosniff"), ("X-ThreePay-Errcode", "0"),
            ],
            body: Array(CashierPage.iconSVG.utf8))
    }

    /// The page as an answer: HTML, never stored, under the page's own policy.
    static func cashierPage(_ view: CashierView, _ error: ServiceError?, status: Int? = nil) -> Response {
        Response(
            status: status ?? error?.httpStatus ?? 200,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Security-Policy", CashierPage.contentSecurityPolicy),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
                ("X-ThreePay-Errcode", String(error?.errcode ?? 0)),
            ],
            body: Array(CashierPage.html(view).utf8))
    }

    /// `../` for each trailing slash of the page's path, so that `QR` and `Query` resolve beside it.
    static func linkPrefix(_ path: String) -> String {
        String(repeating: "../", count: path.reversed().prefix { $0 == "/" }.count)
    }
}

extension CashierView {
    /// The bill's details from its record; the state is set by the caller.
    init(record: PaymentRecord, linkPrefix: String) {
        self.init(state: .pending, linkPrefix: linkPrefix)
        billnum = record.billnum
        billtype = record.billtype
        autoid = String(record.autoid)
        subject = record.body
        amount = record.paymentvalue.description
    }

    /// The page in its error state.
    static func failed(_ error: ServiceError, linkPrefix: String) -> CashierView {
        var view = CashierView(state: .error, linkPrefix: linkPrefix)
        view.failure = (error.errcode, error.message)
        return view
    }
}
