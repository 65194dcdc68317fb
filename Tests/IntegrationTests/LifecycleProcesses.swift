import Foundation
import TestSupport
import XCTest

/// Command-line tools the lifecycle tests run: the private MariaDB's script and `threepay sweep`.
enum LifecycleProcesses {
    typealias Outcome = TestCommand.Outcome

    /// True when the stack runs its own MariaDB (scripts/mariadb.sh manages it), so a test may stop it.
    static var hasPrivateDatabase: Bool {
        let environment = TestStack.environment
        let external = [environment["THREEPAY_DB_HOST"], environment["THREEPAY_DB_SOCKET"]]
            .contains { !($0 ?? "").isEmpty }
        return !external && FileManager.default.fileExists(atPath: TestStack.stateDir + "/mariadb.pid")
    }

    /// Runs `scripts/mariadb.sh <command>` on the stack's state folder.
    @discardableResult
    static func mariadb(_ command: String) throws -> Outcome {
        var environment = TestStack.environment
        environment["THREEPAY_STATE_DIR"] = TestStack.stateDir
        return try TestCommand.run(TestStack.packageRoot.appendingPathComponent("scripts/mariadb.sh").path, [command], environment)
    }

    /// Starts the private MariaDB again unless it answers already; safe to call any time.
    static func ensureDatabaseRunning() {
        guard hasPrivateDatabase else { return }
        if let status = try? mariadb("status"), status.status == 0 { return }
        _ = try? mariadb("start")
    }

    /// One `threepay sweep` pass with the stack's settings.
    static func sweep() throws -> Outcome {
        try TestCommand.run(TestStack.binDir + "/threepay", ["sweep"], try threepayEnvironment())
    }

    /// The environment `threepay` needs to work with the stack, as scripts/stack.sh gives it to the stack's
    /// responder: the database, the sandbox gateway with the generated keys, the notification URL; then
    /// `overrides`. Other `THREEPAY_*` variables of the test process are left out.
    static func threepayEnvironment(_ overrides: [String: String] = [:]) throws -> [String: String] {
        let state = TestStack.stateDir
        var environment = TestStack.environment.filter { !$0.key.hasPrefix("THREEPAY_") }
        environment.merge(TestDatabaseSettings.environment(for: try StackDatabase.settings())) { _, stack in stack }
        environment["THREEPAY_ALIPAY_GATEWAY"] = TestStack.baseURL + "/gateway.do"
        environment["THREEPAY_ALIPAY_APP_ID"] = LifecycleNotification.appID
        environment["THREEPAY_ALIPAY_APP_PRIVATE_KEY"] = state + "/keys/app_private.pem"
        environment["THREEPAY_ALIPAY_PUBLIC_KEY"] = state + "/keys/sandbox_alipay_public.pem"
        environment["THREEPAY_ALIPAY_NOTIFY_URL"] = TestStack.baseURL + "/api/3Pay/AliPay/Notify"
        environment.merge(overrides) { _, override in override }
        return environment
    }
}

/// A second responder (the built `threepay`) that a test starts and stops itself, listening on the socket
/// nginx's `/drain-test/` location forwards to (nginx/dev.conf.in); the stack's own responder keeps running.
final class TestResponder {
    /// The path prefix that reaches this responder through the stack's nginx.
    static let prefix = "/drain-test"

    let process: Process
    let socket: String

    private init(process: Process, socket: String) {
        self.process = process
        self.socket = socket
    }

    /// Starts it with the stack's settings and `overrides` (see `LifecycleProcesses.threepayEnvironment`) and
    /// waits until it answers its health check through nginx.
    static func start(_ overrides: [String: String] = [:]) async throws -> TestResponder {
        let socket = TestStack.stateDir + "/drain-test.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestStack.binDir + "/threepay")
        process.environment = try LifecycleProcesses.threepayEnvironment(overrides.merging(["THREEPAY_LISTEN": socket]) { _, listen in listen })
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let responder = TestResponder(process: process, socket: socket)
        do {
            try await TestStack.waitHealthy(prefix + "/api/3Pay/health")
        } catch {
            responder.stop()
            throw error
        }
        return responder
    }

    var pid: pid_t { process.processIdentifier }

    /// Waits until the process has exited; returns how (`.exit` or `.uncaughtSignal`) and its status.
    func exit(seconds: Double = 60) throws -> (reason: Process.TerminationReason, status: Int32) {
        try Poll.until("the test responder \(pid) exited", seconds: seconds, every: 0.02) { !process.isRunning }
        return (process.terminationReason, process.terminationStatus)
    }

    /// Ends it, whatever state it is in: SIGTERM, then SIGKILL if it does not drain.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if (try? exit(seconds: 30)) == nil { kill(pid, SIGKILL) }
    }
}
