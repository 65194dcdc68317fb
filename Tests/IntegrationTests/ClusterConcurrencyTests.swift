import Foundation
import TestSupport
import XCTest

/// What the single-box rules become on a cluster (`make test-cluster`): requests for one bill arriving at once on
/// different responders and nodes, one payment notified through several responders, the load shared, and the
/// sweeps of several responders over the same records.
final class ClusterConcurrencyTests: ClusterTestCase {
    func testTheLoadIsSharedByEveryResponderAndEveryNode() async throws {
        let responders = ClusterStack.responderCount
        let nodes = ClusterStack.nodeCount
        let served = (1...responders).map { ClusterStack.requestsLogged(by: $0, path: "/api/3Pay/AliPay/ScanCode") }
        let commits = (1...nodes).map { ClusterStack.localCommits(node: $0) }
        let source = FaultBillSource(tag: "ld")
        let reserve = FaultReserve()
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            try await progress.waitForAnswers(300)
        }
        for responder in 1...responders {
            let count = ClusterStack.requestsLogged(by: responder, path: "/api/3Pay/AliPay/ScanCode") - served[responder - 1]
            XCTAssertGreaterThan(count, load.scanCodes.count / (responders * 4), "responder \(responder) served its share")
        }
        for node in 1...nodes {
            XCTAssertGreaterThan(ClusterStack.localCommits(node: node), commits[node - 1], "node \(node) took writes")
        }
        try await settle("load over the cluster", source, load, FaultRules())
        try await assertOneCallbackEachAndIdenticalNodes(source)
    }

    func testFortyCopiesOfOneBillAcrossNodesGiveOneCodeAndOneTrade() async throws {
        let source = FaultBillSource(tag: "40")
        let bill = source.next()
        let served = (1...ClusterStack.responderCount).map {
            ClusterStack.requestsLogged(by: $0, path: "/api/3Pay/AliPay/ScanCode")
        }
        let answers = await withTaskGroup(of: FaultAnswer.self) { group in
            for _ in 0..<40 { group.addTask { await FaultLoad.scanCode(bill) } }
            var all: [FaultAnswer] = []
            for await answer in group { all.append(answer) }
            return all
        }
        XCTAssertEqual(answers.filter { $0.errcode != 0 }.map(\.description), [], "every copy is answered")
        XCTAssertEqual(Set(answers.compactMap(\.codeurl)).count, 1, "one QR code")
        XCTAssertEqual(Set(answers.compactMap(\.autoid)).count, 1, "one record")
        for responder in 1...ClusterStack.responderCount {
            XCTAssertGreaterThan(
                ClusterStack.requestsLogged(by: responder, path: "/api/3Pay/AliPay/ScanCode"), served[responder - 1],
                "responder \(responder) took copies")
        }
        let ledger = try FaultLedger()
        let snapshot = try await ledger.snapshot(source)
        XCTAssertEqual(snapshot.records.count, 1, "one record for the bill")
        XCTAssertEqual(snapshot.trades.count, 1, "one trade at the gateway")
        XCTAssertEqual(snapshot.trades.values.first?.qrCode, answers.first?.codeurl)
    }

    func testAPaymentNotifiedThroughSeveralRespondersIsRecordedOnce() async throws {
        let source = FaultBillSource(tag: "nt")
        let bills = (0..<7).map { _ in source.next() }
        var issued: [FaultIssued] = []
        for bill in bills {
            let answer = await FaultLoad.scanCode(bill)
            let autoid = try XCTUnwrap(answer.autoid, "\(answer)")
            let query = await FaultLoad.query(bill, autoid: autoid)
            issued.append(FaultIssued(bill: bill, autoid: autoid, outTradeNo: try XCTUnwrap(query.tag["outtradeno"])))
        }
        let notified = (1...ClusterStack.responderCount).map {
            ClusterStack.requestsLogged(by: $0, path: "/api/3Pay/AliPay/Notify")
        }
        // Each bill is paid, and its notification sent again four times at once.
        var payments: [FaultPayment] = []
        for bill in issued {
            payments.append(await FaultLoad.pay(bill))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        _ = try await StackSandbox.run { try $0.resendNotification(bill.outTradeNo) }
                    }
                }
                try await group.waitForAll()
            }
        }
        XCTAssertEqual(payments.filter { !$0.accepted }.map(\.detail), [])
        for responder in 1...ClusterStack.responderCount {
            XCTAssertGreaterThan(
                ClusterStack.requestsLogged(by: responder, path: "/api/3Pay/AliPay/Notify"), notified[responder - 1],
                "responder \(responder) received notifications")
        }
        let ledger = try FaultLedger()
        try await Poll.eventually("every payment recorded and called back", seconds: 60, every: 0.25) {
            let callbacks = try ledger.callbacks(source)
            return issued.allSatisfy { callbacks[$0.autoid]?.status == "DELIVERED" }
        }
        let snapshot = try await ledger.snapshot(source)
        var check = FaultReconciliation()
        check.checkBooks(Set(bills), snapshot, settled: true)
        check.checkSettled(snapshot, payments: payments)
        check.assertNone("payments notified through several responders")
        XCTAssertEqual(snapshot.receipts.count, issued.count, "one receipt per payment")
        XCTAssertEqual(snapshot.outbox.count, issued.count, "one callback per payment")
        try await assertOneCallbackEachAndIdenticalNodes(source)
    }

    func testSweepsOnTwoNodesAtOnceSettleEachRecordOnce() async throws {
        let source = FaultBillSource(tag: "sw")
        var autoids: [Int64] = []
        for _ in 0..<24 {
            let answer = await FaultLoad.scanCode(source.next())
            autoids.append(try XCTUnwrap(answer.autoid, "\(answer)"))
        }
        let ledger = try FaultLedger()
        try ledger.database.age(autoids)
        // Two sweeps at the same moment, each on a node of its own, as the background duties of two responders.
        let outcomes = try await withThrowingTaskGroup(of: TestCommand.Outcome.self) { group in
            for node in 1...2 {
                let environment = try LifecycleProcesses.threepayEnvironment(
                    ["THREEPAY_DB_SOCKET": ClusterStack.nodeFolder(node) + "/mariadb.sock"])
                group.addTask {
                    try await Background.run {
                        try TestCommand.run(TestStack.binDir + "/threepay", ["sweep"], environment)
                    }
                }
            }
            var all: [TestCommand.Outcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        var examined = 0
        for outcome in outcomes {
            XCTAssertEqual(outcome.status, 0, outcome.output)
            let report = try XCTUnwrap(outcome.output.components(separatedBy: "\n").last { $0.hasPrefix("sweep: ") })
            let number = report.split(separator: ",").first?.split(separator: " ").last.flatMap { Int($0) }
            examined += try XCTUnwrap(number, report)
        }
        XCTAssertEqual(examined, autoids.count, "each record was examined by one sweep: \(outcomes.map(\.output))")
        let statuses = try ledger.statuses(source)
        XCTAssertEqual(Set(autoids.map { statuses[$0] ?? "missing" }), ["CLOSED"])
        let trades = try await ledger.snapshot(source).trades
        XCTAssertEqual(Set(trades.values.map(\.status)), ["TRADE_CLOSED"])
    }
}
