import Foundation
import PaymentModel
import Synchronization
import TestSupport
import XCTest

/// The stack's responder runs under scripts/stack.sh's supervisor: a `kill -9` is followed by a new responder
/// (its pid in threepay.pid) within seconds, the restart is logged, and what clients get meanwhile is nginx's
/// 4003 envelope, never an HTML page; sending the same bill again afterwards succeeds. `scripts/stack.sh run`
/// does the same on its terminal and stops everything, with status 0, on Ctrl-C.
final class EdgeRestartTests: XCTestCase {
    private var runJob: EdgeForegroundJob?
    private var runEnvironment: [String: String] = [:]

    override func tearDown() {
        // A `run` stack a failed test left behind is stopped.
        if let job = runJob, job.exitStatus(waitingUpTo: 0) == nil {
            kill(-job.pid, SIGTERM)
            _ = job.exitStatus(waitingUpTo: 60)
        }
        if !runEnvironment.isEmpty {
            _ = try? TestCommand.run(TestStack.packageRoot.path + "/scripts/stack.sh", ["stop"], runEnvironment)
        }
        runJob = nil
        super.tearDown()
    }

    func testAKilledResponderIsStartedAgainAndClientsGetTheEnvelopeMeanwhile() throws {
        let state = TestStack.stateDir
        let supervisor = try XCTUnwrap(Self.pid(inFile: state + "/supervisor.pid"), "the stack runs no supervisor")
        let killed = try XCTUnwrap(FaultStack.responderPID(), "the stack's responder is not running")
        let logStart = Self.size(of: state + "/logs/stack.log")

        let load = EdgeScanCodeLoad(clients: 4)
        load.start()
        try load.waitForSuccesses(8, seconds: 60)
        XCTAssertEqual(kill(killed, SIGKILL), 0)
        let restarted = try Self.waitForNewResponder(
            replacing: killed, pidFile: state + "/threepay.pid", port: URL(string: TestStack.baseURL)?.port ?? 18080)
        try load.waitForSuccesses(load.successes + 20, seconds: 60)
        let outcomes = load.stop()

        let gap = outcomes.filter { $0.errcode == ErrorCode.serviceRestarting.rawValue }
        let other = outcomes.filter { $0.errcode != 0 && $0.errcode != ErrorCode.serviceRestarting.rawValue }
        print("responder restart: \(outcomes.count) ScanCodes, \(gap.count) answered 4003 during the gap, \(other.count) otherwise failed")
        XCTAssertFalse(gap.isEmpty, "no request fell into the gap: the kill was not observed")
        XCTAssertTrue(other.isEmpty, "answers that are neither success nor the 4003 envelope: \(other.prefix(5))")
        for outcome in gap {
            XCTAssertTrue([502, 503].contains(outcome.status), "\(outcome)")
            XCTAssertEqual(outcome.body, EdgeEnvelope.bytes(.serviceRestarting, xml: outcome.xml), "not the 4003 envelope: \(outcome)")
        }

        // What the README tells a client to do: send the same bill again.
        let client = try StackClient()
        for outcome in gap.prefix(20) {
            let reply = try client.scanCode(ScanCodeBill.valid(outcome.billnum).json(), contentType: "application/json")
            XCTAssertEqual(try ScanCodeEnvelope.parse(reply).errcode, 0, "the same bill again: \(reply.text)")
        }

        XCTAssertEqual(Self.pid(inFile: state + "/supervisor.pid"), supervisor, "the supervisor was replaced")
        XCTAssertEqual(kill(supervisor, 0), 0, "the supervisor is gone")
        let log = Self.text(of: state + "/logs/stack.log", from: logStart)
        XCTAssertTrue(log.contains("the responder (pid \(killed)) was killed by signal 9"), "stack.log: \(log)")
        XCTAssertTrue(log.contains("the responder runs again as pid \(restarted)"), "stack.log: \(log)")
    }

    /// `scripts/stack.sh run` as a terminal runs it (its own process group; Ctrl-C is SIGINT to the group), on the
    /// second test port and a state folder of its own, with the stack's database and gateway.
    func testRunRestartsTheResponderAndStopsEverythingOnCtrlC() throws {
        let mainResponder = try XCTUnwrap(FaultStack.responderPID(), "the stack's responder is not running")
        let state = TestStack.stateDir + "/edge-run"
        let port = EdgeNginx.secondPort
        try? FileManager.default.removeItem(atPath: state)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var environment = try FaultStack.launch(of: mainResponder).environment
        environment["THREEPAY_STATE_DIR"] = state
        environment["THREEPAY_HTTP_PORT"] = String(port)
        environment["THREEPAY_LISTEN"] = nil
        runEnvironment = environment
        let output = state + "/terminal.txt"
        let job = try EdgeForegroundJob(TestStack.packageRoot.path + "/scripts/stack.sh", ["run"], environment: environment, output: output)
        runJob = job
        try Poll.until("`run` says it is running", seconds: 180) {
            XCTAssertNil(job.exitStatus(waitingUpTo: 0), "run ended early: \(Self.text(of: output, from: 0))")
            return Self.text(of: output, from: 0).contains("Press Ctrl-C to stop everything.")
        }

        let killed = try XCTUnwrap(Self.pid(inFile: state + "/threepay.pid"))
        let supervisor = try XCTUnwrap(Self.pid(inFile: state + "/supervisor.pid"))
        XCTAssertEqual(kill(killed, SIGKILL), 0)
        let restarted = try Self.waitForNewResponder(replacing: killed, pidFile: state + "/threepay.pid", port: port)
        let nginx = try XCTUnwrap(Self.pid(inFile: state + "/nginx.pid"))
        try Poll.until("the restart is on the terminal", seconds: 10) {
            Self.text(of: output, from: 0).contains("[stack] the responder (pid \(killed)) was killed by signal 9")
        }
        XCTAssertTrue(Self.text(of: state + "/logs/stack.log", from: 0).contains("the responder (pid \(killed)) was killed by signal 9"))

        // Ctrl-C.
        XCTAssertEqual(kill(-job.pid, SIGINT), 0)
        let status = job.exitStatus(waitingUpTo: 60)
        XCTAssertEqual(status, 0, "`run` after Ctrl-C: \(Self.text(of: output, from: 0))")
        let terminal = Self.text(of: output, from: 0)
        XCTAssertFalse(terminal.contains("exited"), "a responder exit was reported on Ctrl-C: \(terminal)")
        XCTAssertEqual(terminal.components(separatedBy: "was killed by signal").count - 1, 1, terminal)
        for (name, pid) in [("responder", restarted), ("supervisor", supervisor), ("nginx", nginx)] {
            XCTAssertFalse(Self.running(pid), "the \(name) (pid \(pid)) still runs after Ctrl-C")
        }
        for file in ["threepay.pid", "supervisor.pid", "nginx.pid"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: state + "/" + file), "\(file) is left")
        }
    }

    // MARK: Helpers

    /// Polls until threepay.pid names a live responder other than `killed` that answers health; returns its pid.
    static func waitForNewResponder(replacing killed: pid_t, pidFile: String, port: Int) throws -> pid_t {
        var restarted: pid_t = 0
        try Poll.until("a new responder answers health", seconds: 30) {
            guard let pid = pid(inFile: pidFile), pid != killed, running(pid) else { return false }
            restarted = pid
            let health = try? EdgeConnection.exchange(edgeRequest("GET", "/api/3Pay/health"), port: port, seconds: 10)
            return health?.status == 200 && health?.header("X-ThreePay-Errcode") == "0"
        }
        return restarted
    }

    static func pid(inFile path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Alive and not a zombie.
    static func running(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }

    static func size(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func text(of path: String, from offset: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path), data.count >= offset else { return "" }
        return String(decoding: data.dropFirst(offset), as: UTF8.self)
    }
}

/// ScanCode requests for fresh bills from a few threads, half of them asking for XML, until stopped.
final class EdgeScanCodeLoad: Sendable {
    struct Outcome: Sendable, CustomStringConvertible {
        let billnum: String
        let xml: Bool
        let status: Int
        /// The errcode of the envelope (X-ThreePay-Errcode), -1 when the answer is no envelope.
        let errcode: Int
        let body: [UInt8]
        var description: String { "\(billnum) [\(xml ? "xml" : "json")]: HTTP \(status) errcode \(errcode) \(String(decoding: body.prefix(200), as: UTF8.self))" }
    }

    private let clients: Int
    private let stopping = Atomic<Bool>(false)
    private let outcomes = Mutex<[Outcome]>([])
    private let group = DispatchGroup()

    init(clients: Int) { self.clients = clients }

    var successes: Int { outcomes.withLock { $0.filter { $0.errcode == 0 }.count } }

    func start() {
        for index in 0..<clients {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                guard let client = try? StackClient() else { return }
                var sent = 0
                while !stopping.load(ordering: .acquiring) {
                    sent += 1
                    let xml = (index + sent) % 2 == 0
                    let billnum = ScanCodeBillNumbers.next("edgerk")
                    let outcome: Outcome
                    do {
                        let reply = try client.scanCode(
                            ScanCodeBill.valid(billnum).json(), contentType: "application/json", accept: xml ? "application/xml" : "application/json")
                        let errcode = reply.header("X-ThreePay-Errcode").flatMap { Int($0) } ?? -1
                        outcome = Outcome(billnum: billnum, xml: xml, status: reply.status, errcode: errcode, body: reply.body)
                    } catch {
                        outcome = Outcome(billnum: billnum, xml: xml, status: 0, errcode: -1, body: Array("\(error)".utf8))
                    }
                    outcomes.withLock { $0.append(outcome) }
                    // As a cash register would, it waits a moment before the next bill after a failure.
                    if outcome.errcode != 0 { usleep(50_000) }
                }
            }
        }
    }

    func waitForSuccesses(_ count: Int, seconds: TimeInterval) throws {
        try Poll.until("\(count) successful ScanCodes", seconds: seconds) { successes >= count }
    }

    /// Stops the clients and returns every outcome.
    func stop() -> [Outcome] {
        stopping.store(true, ordering: .releasing)
        group.wait()
        return outcomes.withLock { $0 }
    }
}

/// A command started as a shell starts a foreground job: in a process group of its own, with SIGINT and SIGTERM
/// at their defaults, so that a Ctrl-C (SIGINT to the group) reaches it as it would from a terminal. Output goes
/// to a file (a pipe would stay open as long as nginx, which inherits it, runs).
final class EdgeForegroundJob {
    let pid: pid_t
    private var status: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String], output: String) throws {
        pid = try TestCommand.spawn(
            executable, arguments, environment, output: output, ownGroup: true, defaultSignals: true)
    }

    /// The exit status (128 + n for signal n), or nil while it still runs after `seconds`.
    func exitStatus(waitingUpTo seconds: TimeInterval) -> Int32? {
        if let status { return status }
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let code = try? TestCommand.exitStatus(of: pid) {
                status = code
                return code
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }
}
