import Alipay
import ContentNegotiation
import CurlClient
import FastCGI
import MariaDB
import PaymentModel
import PaymentStore

/// The state of one worker thread: its own database connection (opened on first use and reopened
/// after a failure), its own HTTP handle to Alipay, and the routes.
///
/// Never shared between threads, so nothing here is locked.
final class Worker {
    let index: Int
    let services: Services
    let alipay: AlipayClient
    private var records: PaymentRecords?
    private var router = Router()

    init(index: Int, services: Services) throws {
        threadInit()
        self.index = index
        self.services = services
        alipay = AlipayClient(
            configuration: services.alipay, transport: CurlTransport(client: try services.makeHTTPClient()))
        router.add("GET", "/api/3Pay/health") { [unowned self] in self.health($0) }
        router.add("POST", "/api/3Pay/AliPay/ScanCode") { [unowned self] in self.scanCode($0) }
        router.add("POST", "/api/3Pay/AliPay/Query") { [unowned self] in self.query($0) }
        router.add("GET", "/api/3Pay/AliPay/Query") { [unowned self] in self.query($0) }
        router.add("POST", "/api/3Pay/AliPay/Cancel") { [unowned self] in self.cancel($0) }
        router.add("POST", "/api/3Pay/AliPay/Notify") { [unowned self] in self.notify($0) }
    }

    deinit { threadEnd() }

    func handle(_ request: Request) -> Response {
        switch router.match(request) {
        case .endpoint(let endpoint):
            if request.bodyTooLarge {
                return Answer(for: request).failure(.bodyTooLarge(limit: services.configuration.maxBody))
            }
            return endpoint(request)
        case .notFound:
            return Answer(for: request).failure(.notFound)
        case .methodNotAllowed(let allowed):
            var response = Answer(for: request).failure(.methodNotAllowed)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
    }

    /// This worker's payment store, connecting on first use or after the previous connection failed.
    func store() throws(StoreError) -> PaymentRecords {
        if let records { return records }
        let opened = try PaymentRecords(settings: services.database)
        records = opened
        return opened
    }

    /// Drops the connection after an unavailability so the next request starts from a fresh one.
    func forgetStore(after error: StoreError) {
        if case .unavailable = error { records = nil }
    }
}
