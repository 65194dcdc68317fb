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

    /// The responder's process (posix_spawn, not Foundation's Process, which LeakSanitizer sees leaking).
    let pid: pid_t
    let socket: String
    /// How it ended, once `isRunning` or `exit` has seen it exit (and reaped it).
    private var exitStatus: Int32?

    private init(pid: pid_t, socket: String) {
        self.pid = pid
        self.socket = socket
    }

    /// Starts it with the stack's settings and `overrides` (see `LifecycleProcesses.threepayEnvironment`) and
    /// waits until it answers its health check through nginx.
    static func start(_ overrides: [String: String] = [:]) async throws -> TestResponder {
        let socket = TestStack.stateDir + "/drain-test.sock"
        let environment = try LifecycleProcesses.threepayEnvironment(
            overrides.merging(["THREEPAY_LISTEN": socket]) { _, listen in listen })
        let pid = try TestCommand.spawn(TestStack.binDir + "/threepay", [], environment, output: "/dev/null")
        let responder = TestResponder(pid: pid, socket: socket)
        do {
            try await TestStack.waitHealthy(prefix + "/api/3Pay/health")
        } catch {
            responder.stop()
            throw error
        }
        return responder
    }

    /// Whether the process still runs (an exit seen here is kept for `exit`).
    var isRunning: Bool {
        if exitStatus == nil { exitStatus = try? TestCommand.exitStatus(of: pid) }
        return exitStatus == nil
    }

    /// Waits until the process has exited; returns how (`.exit` or `.uncaughtSignal`) and its status (the exit
    /// code, or the signal's number; the responder's own exit codes are below 128).
    func exit(seconds: Double = 60) throws -> (reason: Process.TerminationReason, status: Int32) {
        try Poll.until("the test responder \(pid) exited", seconds: seconds, every: 0.02) { !isRunning }
        let status = exitStatus ?? 0
        return status > 128 ? (.uncaughtSignal, status - 128) : (.exit, status)
    }

    /// Ends it, whatever state it is in: SIGTERM, then SIGKILL if it does not drain.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if (try? exit(seconds: 30)) == nil {
            kill(pid, SIGKILL)
            _ = try? exit(seconds: 30)
        }
    }
}
