import CurlClient
import Foundation
import TestSupport
import XCTest

/// Every answer an envelope, in time: a held row lock and a frozen database are answered 4001 within the
/// request's deadline with no half record; a hanging gateway takes only its seats, so health, Query and Notify
/// keep answering; when every worker is busy, a waiting request gets 4003 instead of nginx's timeout.
///
/// Each test runs a responder of its own (`TestResponder`, behind nginx's `/drain-test/`) with short limits, and
/// shows "in time" by order: the answer arrives while the lock is still held, the database still frozen, the
/// gateway still hanging.
final class FaultDeadlineTests: XCTestCase {
    override func tearDown() async throws {
        try? await StackSandbox.run { try $0.resetFaults() }
    }

    /// Two ScanCodes of new bills held at the gateway (the sandbox hangs its next two answers) while `body` runs;
    /// `body` gets the count of those two answered so far and their bills' common prefix. Then the sandbox answers
    /// them, and both must end 0.
    private static func whileTwoScanCodesHang(
        _ prefix: String, _ body: (_ answered: SharedCounter, _ run: String) async throws -> Void
    ) async throws {
        try await StackSandbox.run {
            try $0.setFaults(["mode": "hang", "applied": true, "count": 2, "hang_ms": 3_600_000])
        }
        let answered = SharedCounter()
        let run = ScanCodeBillNumbers.next(prefix)
        async let hanging = withThrowingTaskGroup(of: Int?.self) { group in
            for number in 0..<2 {
                group.addTask {
                    let reply = try await Self.scanCode(run + "\(number)", amount: "1.00")
                    answered.increment()
                    return reply.errcode
                }
            }
            var all: [Int?] = []
            for try await errcode in group { all.append(errcode) }
            return all
        }
        try await Poll.eventually("both calls held at the gateway", seconds: 30) {
            try await StackSandbox.run { try $0.faults() }["count"] == "0"
        }
        try await body(answered, run)
        try await StackSandbox.run { sandbox in
            try sandbox.resetFaults(until: "the hanging calls answered") { answered.value == 2 }
        }
        let finished = try await hanging
        XCTAssertEqual(finished, [0, 0])
    }

    private static func scanCode(_ billnum: String, amount: String, billtype: String = "4") async throws -> HTTPReply {
        try await HTTP.postJSON(TestResponder.prefix + scanCodePath, [
            "billnum": billnum, "billtype": billtype, "body": "deadline test", "paytype": "01", "paymentvalue": amount,
        ])
    }

    func testAHeldRowLockIsAnswered4001InTimeAndLeavesNoHalfRecord() async throws {
        let responder = try await TestResponder.start(["THREEPAY_REQUEST_DEADLINE_MS": "3000"])
        defer { responder.stop() }
        let database = try StackDatabase()
        let billnum = ScanCodeBillNumbers.next("DL")
        let first = try await Self.scanCode(billnum, amount: "1.00")
        XCTAssertEqual(first.errcode, 0, first.text)

        // Another session holds the bill's row, as a long transaction of a DBA's script would.
        let holder = try StackDatabase()
        _ = try holder.rows("START TRANSACTION")
        _ = try holder.rows("SELECT current_autoid FROM T_3Pay_Offline_Bill WHERE billtype = '4' AND billnum = ? FOR UPDATE",
                            [.string(billnum)])
        let answer = try await Self.scanCode(billnum, amount: "2.00")
        XCTAssertEqual(answer.status, 503, answer.text)
        XCTAssertEqual(answer.errcode, 4001, "the database could not serve the bill in time: \(answer.text)")
        XCTAssertEqual(try holder.rows("SELECT 1 AS held").count, 1, "answered while the lock was still held")
        _ = try holder.rows("COMMIT")

        let records = try database.records(billtype: "4", billnum: billnum)
        XCTAssertEqual(records.compactMap { $0["status"] }, ["QR_ISSUED"], "nothing half-written: \(records)")
        // Sent again once the lock is gone, the bill goes through.
        let again = try await Self.scanCode(billnum, amount: "2.00")
        XCTAssertEqual(again.errcode, 0, again.text)
        XCTAssertEqual(try database.records(billtype: "4", billnum: billnum).compactMap { $0["status"] }.sorted(),
                       ["CLOSED", "QR_ISSUED"])
    }

    func testAFrozenDatabaseIsAnswered4001InTimeAndHealthAnswersToo() async throws {
        guard LifecycleProcesses.hasPrivateDatabase else { throw XCTSkip("needs the stack's private MariaDB") }
        let pidText = try String(contentsOfFile: TestStack.stateDir + "/mariadb.pid", encoding: .utf8)
        let mariadbd = try XCTUnwrap(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let responder = try await TestResponder.start([
            "THREEPAY_REQUEST_DEADLINE_MS": "6000", "THREEPAY_DB_TIMEOUT": "2", "THREEPAY_WORKERS": "4",
        ])
        defer { responder.stop() }
        let billnum = ScanCodeBillNumbers.next("DF")

        XCTAssertEqual(kill(mariadbd, SIGSTOP), 0)
        var frozen = true
        defer { if frozen { kill(mariadbd, SIGCONT) } }
        async let scan = Self.scanCode(billnum, amount: "3.00")
        async let health = HTTP.get(TestResponder.prefix + "/api/3Pay/health")
        let (scanned, checked) = try await (scan, health)
        XCTAssertEqual(checked.status, 503, checked.text)
        XCTAssertEqual(checked.errcode, 4001, "health says the database is down: \(checked.text)")
        XCTAssertEqual(scanned.status, 503, scanned.text)
        XCTAssertEqual(scanned.errcode, 4001, "an envelope, not nginx's 504: \(scanned.text)")
        XCTAssertEqual(kill(mariadbd, 0), 0)
        XCTAssertTrue(try String(contentsOfFile: "/proc/\(mariadbd)/status", encoding: .utf8).contains("State:\tT"),
                      "both answered while the database was still frozen")
        kill(mariadbd, SIGCONT)
        frozen = false

        // Once it thaws, the same bill goes through, and it has one payable record.
        let database = try StackDatabase()
        let again = try await Poll.eventualValue("ScanCode after the thaw", seconds: 60, every: 0.5) { () -> HTTPReply? in
            let reply = try await Self.scanCode(billnum, amount: "3.00")
            return reply.errcode == 0 ? reply : nil
        }
        XCTAssertEqual(again.status, 200)
        let records = try database.records(billtype: "4", billnum: billnum)
        XCTAssertEqual(records.filter { ["INITIATED", "QR_ISSUED", "UNKNOWN"].contains($0["status"]) }.count, 1,
                       "\(records)")
    }

    func testAHangingGatewayTakesOnlyItsSeats() async throws {
        let responder = try await TestResponder.start([
            "THREEPAY_WORKERS": "6", "THREEPAY_GATEWAY_CONCURRENCY": "2", "THREEPAY_ALIPAY_TIMEOUT": "60000",
            "THREEPAY_REQUEST_DEADLINE_MS": "120000",
        ])
        defer { responder.stop() }
        // A bill whose record is final answers Query without Alipay.
        let cancelled = ScanCodeBillNumbers.next("DG")
        let issued = try await Self.scanCode(cancelled, amount: "1.00")
        XCTAssertEqual(issued.errcode, 0, issued.text)
        let cancel = try await HTTP.postJSON(TestResponder.prefix + "/api/3Pay/AliPay/Cancel",
                                             ["billnum": cancelled, "billtype": "4"])
        XCTAssertEqual(cancel.errcode, 0, cancel.text)

        try await Self.whileTwoScanCodesHang("DH") { answered, run in
            let third = try await Self.scanCode(run + "x", amount: "1.00")
            XCTAssertEqual(third.status, 503, third.text)
            XCTAssertEqual(third.errcode, 4002, "not sent: every gateway seat is taken: \(third.text)")
            let health = try await HTTP.get(TestResponder.prefix + "/api/3Pay/health")
            XCTAssertEqual(health.errcode, 0, health.text)
            let query = try await HTTP.postJSON(TestResponder.prefix + "/api/3Pay/AliPay/Query",
                                                ["billnum": cancelled, "billtype": "4"])
            XCTAssertEqual(query.errcode, 0, query.text)
            let notify = try await HTTP.post(TestResponder.prefix + "/api/3Pay/AliPay/Notify", Array("x=1".utf8),
                                             contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(notify.status, 400, "Notify is served (and refuses an unsigned form): \(notify.text)")
            XCTAssertEqual(answered.value, 0, "all of this while the two calls still hang")
        }
    }

    func testWhenEveryWorkerIsBusyAWaitingRequestGets4003() async throws {
        let responder = try await TestResponder.start([
            "THREEPAY_WORKERS": "2", "THREEPAY_GATEWAY_CONCURRENCY": "2", "THREEPAY_BUSY_WAIT_MS": "200",
            "THREEPAY_ALIPAY_TIMEOUT": "60000", "THREEPAY_REQUEST_DEADLINE_MS": "120000",
        ])
        defer { responder.stop() }
        try await Self.whileTwoScanCodesHang("DB") { answered, _ in
            let waiting = try await HTTP.get(TestResponder.prefix + "/api/3Pay/health")
            XCTAssertEqual(waiting.status, 503, waiting.text)
            XCTAssertEqual(waiting.errcode, 4003, "every worker busy: \(waiting.text)")
            XCTAssertEqual(waiting.header("Content-Type"), "application/json; charset=utf-8")
            XCTAssertEqual(answered.value, 0, "answered while both workers were still busy")
        }
    }

    /// Every worker busy (held at the gateway) and the database frozen: health is answered by the doorman, and it
    /// says what matters, the database (4001), not the overload (4003).
    func testWhenEveryWorkerIsBusyAndTheDatabaseIsFrozenHealthSays4001() async throws {
        guard LifecycleProcesses.hasPrivateDatabase else { throw XCTSkip("needs the stack's private MariaDB") }
        let pidText = try String(contentsOfFile: TestStack.stateDir + "/mariadb.pid", encoding: .utf8)
        let mariadbd = try XCTUnwrap(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let responder = try await TestResponder.start([
            "THREEPAY_WORKERS": "2", "THREEPAY_GATEWAY_CONCURRENCY": "2", "THREEPAY_BUSY_WAIT_MS": "200",
            "THREEPAY_ALIPAY_TIMEOUT": "60000", "THREEPAY_REQUEST_DEADLINE_MS": "120000",
        ])
        defer { responder.stop() }
        try await Self.whileTwoScanCodesHang("DH") { answered, _ in
            XCTAssertEqual(kill(mariadbd, SIGSTOP), 0)
            var frozen = true
            defer { if frozen { kill(mariadbd, SIGCONT) } }
            let checked = try await HTTP.get(TestResponder.prefix + "/api/3Pay/health")
            XCTAssertEqual(checked.status, 503, checked.text)
            XCTAssertEqual(checked.errcode, 4001, "the database, not the overload: \(checked.text)")
            XCTAssertEqual(answered.value, 0, "answered while both workers were still busy")
            XCTAssertTrue(try String(contentsOfFile: "/proc/\(mariadbd)/status", encoding: .utf8).contains("State:\tT"),
                          "answered while the database was still frozen")
            kill(mariadbd, SIGCONT)
            frozen = false

            // Thawed, with the workers still busy: the overload again.
            let thawed = try await Poll.eventualValue("health after the thaw", seconds: 30, every: 0.5) { () -> HTTPReply? in
                let reply = try await HTTP.get(TestResponder.prefix + "/api/3Pay/health")
                return reply.errcode == 4003 ? reply : nil
            }
            XCTAssertEqual(thawed.status, 503)
            XCTAssertEqual(answered.value, 0, "answered while both workers were still busy")
        }
    }
}
