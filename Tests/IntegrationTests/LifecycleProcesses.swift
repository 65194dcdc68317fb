import Foundation
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

    /// One `threepay sweep` pass with the stack's settings (as scripts/stack.sh gives them to the responder).
    static func sweep() throws -> Outcome {
        let state = TestStack.stateDir
        let outer = TestStack.environment
        var environment = outer.filter { !$0.key.hasPrefix("THREEPAY_") }
        if let socket = outer["THREEPAY_TEST_DB_SOCKET"], !socket.isEmpty {
            environment["THREEPAY_DB_SOCKET"] = socket
        } else if (outer["THREEPAY_DB_HOST"] ?? "").isEmpty && (outer["THREEPAY_DB_SOCKET"] ?? "").isEmpty {
            environment["THREEPAY_DB_SOCKET"] = state + "/mariadb.sock"
        }
        for key in ["THREEPAY_DB_HOST", "THREEPAY_DB_PORT", "THREEPAY_DB_SOCKET", "THREEPAY_DB_PASSWORD", "THREEPAY_DB_NAME"]
        where environment[key] == nil {
            if let value = outer[key], !value.isEmpty { environment[key] = value }
        }
        environment["THREEPAY_DB_USER"] = outer["THREEPAY_DB_USER"] ?? ProcessInfo.processInfo.userName
        environment["THREEPAY_ALIPAY_GATEWAY"] = TestStack.baseURL + "/gateway.do"
        environment["THREEPAY_ALIPAY_APP_ID"] = LifecycleNotification.appID
        environment["THREEPAY_ALIPAY_APP_PRIVATE_KEY"] = state + "/keys/app_private.pem"
        environment["THREEPAY_ALIPAY_PUBLIC_KEY"] = state + "/keys/sandbox_alipay_public.pem"
        return try TestCommand.run(TestStack.binDir + "/threepay", ["sweep"], environment)
    }
}
