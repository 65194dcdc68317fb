import Alipay
import ContentNegotiation
import FastCGI
import MariaDB
import PaymentFlow
import PaymentModel
import PaymentStore

/// One worker thread's wiring: its own database connection and HTTP handle to Alipay, the payment flow over
/// them, and the routes. Each request is route → decode → flow → encode, under one deadline.
///
/// Never shared between threads, so nothing here is locked.
final class Worker {
    let index: Int
    let services: Services
    let records: PaymentRecords
    let gateway: GatewayBulkhead
    let flow: PaymentFlow
    /// A connection of its own for the health check, with 1-second timeouts, opened when health is first asked.
    lazy var healthRecords = PaymentRecords(
        settings: services.configuration.database.startingAt(node: index).withTimeouts(seconds: 1))
    private var router = Router()

    init(index: Int, services: Services) throws {
        threadInit()
        self.index = index
        self.services = services
        // Worker i starts on node i (mod n) of a cluster: the workers spread over the nodes.
        records = PaymentRecords(settings: services.configuration.database.startingAt(node: index))
        gateway = try services.makeGateway()
        flow = PaymentFlow(store: records, gateway: gateway, settings: services.flowSettings)
        router.add("GET", "/api/3Pay/health") { [unowned self] in self.health($0, $1) }
        router.add("POST", "/api/3Pay/AliPay/ScanCode") { [unowned self] in self.scanCode($0, $1) }
        router.add("POST", "/api/3Pay/AliPay/Query") { [unowned self] in self.query($0, $1) }
        router.add("GET", "/api/3Pay/AliPay/Query") { [unowned self] in self.query($0, $1) }
        router.add("POST", "/api/3Pay/AliPay/Cancel") { [unowned self] in self.cancel($0, $1) }
        router.add("POST", "/api/3Pay/AliPay/Refund") { [unowned self] in self.refund($0, $1) }
        router.add("POST", "/api/3Pay/AliPay/Notify") { [unowned self] in self.notify($0, $1) }
        router.add("GET", "/api/3Pay/AliPay/QR") { [unowned self] in self.qrPicture($0, $1) }
        router.add("GET", "/api/3Pay/AliPay/Cashier") { [unowned self] in self.cashier($0, $1) }
        router.add("GET", "/api/3Pay/AliPay/CashierIcon") { [unowned self] in self.cashierIcon($0, $1) }
    }

    deinit { threadEnd() }

    func handle(_ request: Request) -> Response {
        let deadline = Deadline.after(milliseconds: services.configuration.requestDeadlineMilliseconds)
        switch router.match(request) {
        case .endpoint(let endpoint):
            if request.bodyTooLarge {
                return Answer(for: request).failure(.bodyTooLarge(limit: services.configuration.maxBody))
            }
            return endpoint(request, deadline)
        case .notFound:
            return Answer(for: request).failure(.notFound)
        case .methodNotAllowed(let allowed):
            var response = Answer(for: request).failure(.methodNotAllowed)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
    }

    /// Logs what the client is not told about a failure the service itself suffered.
    func log(_ failure: FlowFailure, in endpoint: String) {
        if failure.error.code == .internalError || failure.error.code == .databaseUnavailable {
            RequestLog.note("\(endpoint) failed: \(failure.detail)")
        }
    }
}
