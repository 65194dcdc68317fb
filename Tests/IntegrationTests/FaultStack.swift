import Foundation
import Synchronization
import TestSupport
import XCTest

/// Breaks and repairs the stack's processes for the fault tests: the responder (`kill -9`, then started
/// again exactly as it was started), the private MariaDB (stopped and started), nginx (reloaded).
///
/// Other tests run after these in the same `swift test`, so `ensureHealthy` puts everything back.
enum FaultStack {
    /// How a process was started: enough to start it again the same way.
    struct Launch: Sendable {
        let executable: String
        let arguments: [String]
        let environment: [String: String]
        let directory: String
    }

    private static let savedLaunch = Mutex<Launch?>(nil)

    static var state: String { TestStack.stateDir }
    static var responderPIDFile: String { state + "/threepay.pid" }

    /// The responder's pid when it is alive.
    static func responderPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: responderPIDFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, kill(pid, 0) == 0
        else { return nil }
        // A zombie (killed, not yet reaped by its parent) is not alive.
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return status.contains("State:\tZ") ? nil : pid
    }

    /// How many requests the stack's responder serves at once (its THREEPAY_WORKERS): each worker holds its own
    /// database connection, which a fault may have broken until the worker's next request.
    static func responderWorkers() -> Int {
        responderPID().flatMap { try? launch(of: $0).environment["THREEPAY_WORKERS"] }.flatMap { Int($0) } ?? 64
    }

    /// Reads how the running process `pid` was started, from /proc (executable, arguments, environment, folder).
    static func launch(of pid: pid_t) throws -> Launch {
        let fileManager = FileManager.default
        var executable = try fileManager.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        // A binary rebuilt since the start shows as "<path> (deleted)": the new one is at the same path.
        if executable.hasSuffix(" (deleted)") { executable.removeLast(" (deleted)".count) }
        let directory = try fileManager.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        func nulSeparated(_ name: String) throws -> [String] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(name)"))
            return data.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        }
        var environment: [String: String] = [:]
        for entry in try nulSeparated("environ") {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let arguments = Array(try nulSeparated("cmdline").dropFirst())
        return Launch(executable: executable, arguments: arguments, environment: environment, directory: directory)
    }

    /// `kill -9` of the stack's responder; returns once it is gone. How it was started is kept for `restartResponder`.
    static func killResponder() throws {
        guard let pid = responderPID() else { throw TestFailure("the stack's responder is not running") }
        let launch = try launch(of: pid)
        savedLaunch.withLock { $0 = launch }
        guard kill(pid, SIGKILL) == 0 else { throw TestFailure("kill -9 \(pid) failed: errno \(errno)") }
        try Poll.until("the responder \(pid) gone after kill -9", seconds: 15, every: 0.02) { responderPID() == nil }
    }

    /// Starts the responder again as it was started before `killResponder` (same binary, arguments,
    /// environment and folder; output appended to its log) and records the new pid for scripts/stack.sh stop.
    @discardableResult
    static func restartResponder() throws -> pid_t {
        if let pid = responderPID() { return pid }
        guard let launch = savedLaunch.withLock({ $0 }) else { throw TestFailure("no responder was killed by this test run") }
        let logPath = state + "/logs/threepay.log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launch.executable)
        process.arguments = launch.arguments
        process.environment = launch.environment
        process.currentDirectoryURL = URL(fileURLWithPath: launch.directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let pid = process.processIdentifier
        try "\(pid)\n".write(toFile: responderPIDFile, atomically: true, encoding: .utf8)
        return pid
    }

    /// `nginx -s reload` of the stack's nginx: new workers with the same configuration, old ones finish
    /// what they serve.
    static func reloadNginx() throws {
        let outcome = try TestCommand.run(
            "/usr/bin/env",
            ["nginx", "-p", state, "-c", state + "/nginx.conf", "-e", state + "/logs/nginx-error.log", "-s", "reload"],
            TestStack.environment)
        guard outcome.status == 0 else { throw TestFailure("nginx -s reload failed: \(outcome.output)") }
    }

    /// `scripts/mariadb.sh stop` / `start` on the stack's private MariaDB.
    static func database(_ command: String) throws {
        let outcome = try LifecycleProcesses.mariadb(command)
        guard outcome.status == 0 else { throw TestFailure("scripts/mariadb.sh \(command) failed: \(outcome.output.suffix(600))") }
    }


    /// Puts back whatever a fault test may have broken: the gateway faults, the database, the responder
    /// (only when a fault test killed it: a stack without a pid file is not this test's to start).
    static func repair() async throws {
        try? await StackSandbox.run { try $0.resetFaults() }
        LifecycleProcesses.ensureDatabaseRunning()
        if responderPID() == nil, savedLaunch.withLock({ $0 }) != nil { try restartResponder() }
        try await TestStack.waitHealthy()
        try await StackSandbox.run { try $0.resetFaults() }
    }
}
