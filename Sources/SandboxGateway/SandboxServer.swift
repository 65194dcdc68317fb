import FastCGI
import Foundation

/// Builds the sandbox from its configuration and serves it until SIGTERM.
public enum SandboxServer {
    /// Runs the sandbox; returns the process exit status.
    public static func main(environment: [String: String]) -> Int32 {
        do {
            let configuration = try SandboxConfiguration.load(from: environment)
            try run(configuration)
            return 0
        } catch {
            FileHandle.standardError.write(Data("threepay-sandbox: \(error)\n".utf8))
            return 1
        }
    }

    /// Serves with `configuration`; on return (after the drain) pending state has been written.
    public static func run(_ configuration: SandboxConfiguration) throws {
        let stateFile = configuration.statePath.map { StateFile(path: $0) }
        let book = SandboxBook(onChange: { stateFile?.markDirty() })
        if let stateFile {
            book.replaceAll(with: try stateFile.load())
            // Saving once now proves the file can be written, so a bad path stops the start, not a later save.
            try stateFile.save(book.allTrades(now: Date.distantPast))
            stateFile.startWriter { [book] in book.allTrades(now: Date.distantPast) }
        }
        defer { stateFile?.stopWriter() }

        try CurlNotificationTransport.prepare()
        let log = NotificationLog()
        let timeout = configuration.notifyTimeoutMilliseconds
        let notifier = Notifier(schedule: configuration.notifySchedule, log: log) {
            try CurlNotificationTransport(timeoutMilliseconds: timeout)
        }
        notifier.start(threads: 4)
        defer { notifier.stop() }

        let faults = FaultPlan(defaultHangMilliseconds: configuration.hangMilliseconds)
        let notifications = NotificationBuilder(
            appID: configuration.appID, sellerID: configuration.sellerID,
            alipayPrivateKey: configuration.alipayPrivateKey)
        let core = SandboxGatewayCore(
            appID: configuration.appID, merchantPublicKey: configuration.merchantPublicKey,
            alipayPrivateKey: configuration.alipayPrivateKey, book: book,
            onRefund: { trade, refund in
                // Alipay notifies the trade's notify_url of each refund, as it does of the payment.
                if let job = try? notifications.job(for: trade, refund: refund, at: Date()) { notifier.enqueue(job) }
            })
        let control = configuration.controlEnabled
            ? ControlAPI(book: book, faults: faults, log: log, notifications: notifications, notifier: notifier)
            : nil
        let router = SandboxRouter(gateway: GatewayEndpoint(core: core, faults: faults), control: control)

        let server: FastCGIServer
        do {
            server = try FastCGIServer(listen: configuration.listen, workers: configuration.workers,
                                       maxBody: 1 << 20, logger: StandardErrorLogger())
        } catch {
            throw SandboxConfigurationError(setting: "THREEPAY_SANDBOX_LISTEN", reason: error.description)
        }
        FileHandle.standardError.write(Data(
            "threepay-sandbox: listening on \(configuration.listen) with \(configuration.workers) workers, control \(configuration.controlEnabled ? "on" : "off")\n".utf8))
        // A reply hanging under the `hang` fault holds the drain until its sleep ends (THREEPAY_SANDBOX_HANG_MS).
        try server.run { _ in { request in router.handle(request) } }
    }
}

/// Writes server problems to standard error; requests are not logged.
struct StandardErrorLogger: RequestLogger {
    func requestCompleted(_ request: Request, response: Response, worker: Int, seconds: Double) {}

    func serverProblem(_ message: String) {
        FileHandle.standardError.write(Data("threepay-sandbox: \(message)\n".utf8))
    }
}
