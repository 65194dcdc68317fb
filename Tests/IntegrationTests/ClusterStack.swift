import Foundation
import MariaDB
import TestSupport
import XCTest

/// The stack `make test-cluster` started with scripts/cluster.sh: Galera nodes and supervised responders under
/// `THREEPAY_TEST_CLUSTER_DIR` (`$THREEPAY_STATE_DIR/cluster`), behind the stack's nginx. The cluster tests break
/// and repair its parts: `kill -9` of a node, then the node started again exactly as an operator would
/// (`mariadbd --defaults-file=…/node<i>/mariadb.cnf` alone); `kill -9` of a responder, which its supervisor
/// replaces.
enum ClusterStack {
    /// The cluster's folder; nil outside `make test-cluster`.
    static var folder: String? {
        guard let path = TestStack.environment["THREEPAY_TEST_CLUSTER_DIR"], !path.isEmpty else { return nil }
        return path
    }

    static func requireFolder() throws -> String {
        guard let folder else { throw XCTSkip("not a cluster run: `make test-cluster` runs these tests") }
        return folder
    }

    /// How many nodes and responders the stack has (node<i>/ folders, responder<j>.sock sockets).
    static var nodeCount: Int { count { "node\($0)/mariadb.cnf" } }
    static var responderCount: Int { count { "responder\($0).sock" } }

    private static func count(_ name: (Int) -> String) -> Int {
        guard let folder else { return 0 }
        var found = 0
        while FileManager.default.fileExists(atPath: folder + "/" + name(found + 1)) { found += 1 }
        return found
    }

    // MARK: Nodes

    static func nodeFolder(_ node: Int) -> String { (folder ?? "") + "/node\(node)" }

    /// The node's mariadbd when it is alive, found by its configuration file: a node that is still joining has
    /// no pid file yet.
    static func nodePID(_ node: Int) -> pid_t? {
        let option = "--defaults-file=" + nodeFolder(node) + "/mariadb.cnf"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline"))
            else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.first.map({ $0 == "mariadbd" || $0.hasSuffix("/mariadbd") }) == true,
               arguments.contains(option), isRunning(pid) {
                return pid
            }
        }
        return nil
    }

    /// A connection to the node's socket as the tests' login (unix_socket), or nil while it cannot serve.
    static func connect(node: Int) -> Connection? {
        guard var settings = try? StackDatabase.settings() else { return nil }
        settings.endpoint = .unixSocket(path: nodeFolder(node) + "/mariadb.sock")
        settings.otherEndpoints = []
        settings.connectTimeoutSeconds = 2
        settings.readTimeoutSeconds = 10
        return try? Connection(settings: settings)
    }

    /// The node's wsrep status variables (`SHOW GLOBAL STATUS LIKE 'wsrep%'`, names in lower case); empty when it
    /// does not answer. Read with the `mariadb` client, which, unlike the service's connections, also talks to a
    /// node that is not ready to serve.
    static func statuses(node: Int) -> [String: String] {
        let arguments = [
            "mariadb", "--no-defaults", "--socket=" + nodeFolder(node) + "/mariadb.sock",
            "--user=" + ProcessInfo.processInfo.userName, "--connect-timeout=2", "--batch", "--skip-column-names",
            "-e", "SHOW GLOBAL STATUS LIKE 'wsrep%'",
        ]
        guard let outcome = try? TestCommand.run("/usr/bin/env", arguments, TestStack.environment, seconds: 30),
              outcome.status == 0
        else { return [:] }
        var found: [String: String] = [:]
        for line in outcome.output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if fields.count == 2 { found[fields[0].lowercased()] = String(fields[1]) }
        }
        return found
    }

    static func status(_ name: String, node: Int) -> String? { statuses(node: node)[name.lowercased()] }

    /// True when the node is part of the primary component, synced, with every node in the cluster.
    static func isSynced(_ node: Int) -> Bool {
        let found = statuses(node: node)
        return found["wsrep_local_state_comment"] == "Synced" && found["wsrep_ready"] == "ON"
            && found["wsrep_cluster_size"] == String(nodeCount)
    }

    /// `kill -9` of the node's mariadbd; returns once it is gone.
    static func killNode(_ node: Int) throws {
        guard let pid = nodePID(node) else { throw TestFailure("node \(node) is not running") }
        guard kill(pid, SIGKILL) == 0 else { throw TestFailure("kill -9 \(pid) failed: errno \(errno)") }
        try Poll.until("node \(node) (pid \(pid)) gone after kill -9", seconds: 30, every: 0.02) { !isRunning(pid) }
    }

    /// Starts the node the way the README tells an operator: `mariadbd --defaults-file=<node>/mariadb.cnf` and
    /// nothing else (in a session of its own, so that it outlives the test), then waits until it has rejoined.
    static func startNode(_ node: Int) throws { try startNodes([node]) }

    /// Starts each of the nodes that is not running, then waits until every node is synced in a whole cluster (a
    /// node left on its own, non-primary, is whole again once the others are back).
    static func startNodes(_ nodes: [Int], seconds: Double = 240) throws {
        for node in nodes { try launchNode(node) }
        for node in 1...max(1, nodeCount) {
            try Poll.until("node \(node) synced with the whole cluster", seconds: seconds, every: 0.25) { isSynced(node) }
        }
    }

    /// Starts the node unless it runs, without waiting for it.
    static func launchNode(_ node: Int) throws {
        guard nodePID(node) == nil else { return }
        let outcome = try TestCommand.run(
            "/usr/bin/setsid", ["--fork", "mariadbd", "--defaults-file=" + nodeFolder(node) + "/mariadb.cnf"],
            TestStack.environment, seconds: 30)
        guard outcome.status == 0 else { throw TestFailure("starting node \(node) failed: \(outcome.output)") }
        try Poll.until("node \(node) running", seconds: 30, every: 0.05) { nodePID(node) != nil }
    }

    /// What each node holds: every table's row count and checksum, read on the node itself.
    static func contents(node: Int) throws -> [String: String] {
        guard let connection = connect(node: node) else { throw TestFailure("node \(node) does not answer") }
        let tables = try connection.execute(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                + " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        ).first?.rows.compactMap { try? $0.string("t") } ?? []
        var contents: [String: String] = [:]
        for table in tables {
            // Names from the server's own list, spliced as identifiers.
            let count = try connection.execute("SELECT COUNT(*) AS n FROM `\(table)`").first?.rows.first?.string("n")
            let sum = try connection.execute("CHECKSUM TABLE `\(table)`").first?.rows.first?.values.last ?? nil
            contents[table] = "\(count ?? "?") rows, checksum \(sum ?? "?")"
        }
        return contents
    }

    /// Waits until every node holds the same rows (the background work of the responders may still be
    /// delivering a callback while the nodes are read, so they are read again until they agree).
    static func waitForIdenticalNodes(seconds: Double = 60) throws -> [String: String] {
        var last: [[String: String]] = []
        return try Poll.value("every node holds the same rows (last: \(last))", seconds: seconds, every: 0.5) {
            last = try (1...nodeCount).map { try contents(node: $0) }
            guard let first = last.first, !first.isEmpty, last.allSatisfy({ $0 == first }) else { return nil }
            return first
        }
    }

    /// The node's transactions committed from its own clients since it started (`wsrep_local_commits`).
    static func localCommits(node: Int) -> Int { Int(status("wsrep_local_commits", node: node) ?? "") ?? 0 }

    /// How many connections the responders' account holds on the node.
    static func responderConnections(node: Int) -> Int {
        guard let connection = connect(node: node),
              let row = try? connection.execute(
                  "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'threepay'").first?.rows.first
        else { return 0 }
        return Int((try? row.int64("n")) ?? 0)
    }

    // MARK: Responders

    static func responderPID(_ responder: Int) -> pid_t? {
        livePID(inFile: (folder ?? "") + "/responder\(responder).pid")
    }

    /// `kill -9` of a responder; returns once it is gone (its supervisor starts another).
    @discardableResult
    static func killResponder(_ responder: Int) throws -> pid_t {
        guard let pid = responderPID(responder) else { throw TestFailure("responder \(responder) is not running") }
        guard kill(pid, SIGKILL) == 0 else { throw TestFailure("kill -9 \(pid) failed: errno \(errno)") }
        try Poll.until("responder \(responder) (pid \(pid)) gone after kill -9", seconds: 30, every: 0.02) { !isRunning(pid) }
        return pid
    }

    /// Waits until the supervisor has started a responder other than `old`, and it listens.
    @discardableResult
    static func waitForReplacement(of responder: Int, old: pid_t, seconds: Double = 30) throws -> pid_t {
        try Poll.value("responder \(responder) replaced after pid \(old)", seconds: seconds, every: 0.05) {
            guard let pid = responderPID(responder), pid != old else { return nil }
            return pid
        }
    }

    /// How many requests to `path` the responder's log shows (every start of it appends to the same log).
    static func requestsLogged(by responder: Int, path: String) -> Int {
        let log = (folder ?? "") + "/logs/responder\(responder).log"
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return 0 }
        return text.components(separatedBy: "\n").filter { $0.contains(" \(path) status=") }.count
    }

    // MARK: Repair

    /// Puts back what a cluster test broke: every node running and synced, every responder alive.
    static func repair() throws {
        try startNodes(Array(1...max(1, nodeCount)))
        for responder in 1...max(1, responderCount) {
            try Poll.until("responder \(responder) running", seconds: 30, every: 0.05) { responderPID(responder) != nil }
        }
    }

    private static func livePID(inFile path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, isRunning(pid)
        else { return nil }
        return pid
    }

    /// Alive and not a zombie (killed, not yet reaped by its parent).
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return !status.contains("State:\tZ")
    }
}

/// The cluster tests: skipped outside `make test-cluster`; the cluster and the stack are whole before each test
/// and put back after it, also when it fails.
class ClusterTestCase: FaultTestCase {
    override func setUp() async throws {
        _ = try ClusterStack.requireFolder()
        try await Background.run { try ClusterStack.repair() }
        try await super.setUp()
    }

    override func tearDown() async throws {
        if ClusterStack.folder != nil {
            do { try await Background.run { try ClusterStack.repair() } } catch {
                XCTFail("the cluster could not be put back: \(error)")
            }
        }
        try await super.tearDown()
    }

    /// After the load and its settling: no callback reached the sink twice, and every node holds the same rows.
    /// Every payment reached the business system; each exactly once, except at most `redeliveries` extra
    /// deliveries in all (a responder killed after its POST and before it recorded the delivery: the documented
    /// at-least-once case, F2 in docs/reliability.md). And every node holds the same rows.
    func assertOneCallbackEachAndIdenticalNodes(_ source: FaultBillSource, redeliveries: Int = 0,
                                                file: StaticString = #filePath, line: UInt = #line) async throws {
        let prefix = source.prefix
        let counts = try await StackSandbox.run { try $0.callbackCounts(prefix: prefix) }
        XCTAssertFalse(counts.isEmpty, "payments were made and called back", file: file, line: line)
        XCTAssertEqual(counts.filter { $0.value < 1 }.count, 0, "a callback for every payment: \(counts)", file: file,
                       line: line)
        let extra = counts.values.reduce(0) { $0 + max(0, $1 - 1) }
        XCTAssertLessThanOrEqual(extra, redeliveries, "one callback per payment: \(counts)", file: file, line: line)
        let contents = try await Background.run { try ClusterStack.waitForIdenticalNodes() }
        XCTAssertNotNil(contents["T_3Pay_Offline_ReceiveMoney"], file: file, line: line)
    }
}
