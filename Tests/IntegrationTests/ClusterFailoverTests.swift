import Foundation
import TestSupport
import XCTest

/// A Galera node or a responder dies in the middle of a ScanCode + Query + pay load (`make test-cluster`). Unlike
/// one responder on one database, the cluster answers every request: the workers of the dead node go on with
/// another node, nginx passes the dead responder's requests to another responder. Then the dead part is back —
/// the node started by hand as an operator would, the responder by its supervisor — and nothing was lost or
/// counted twice: the settling checks answers, records, trades, receipts and callbacks, and every node holds the
/// same rows.
final class ClusterFailoverTests: ClusterTestCase {
    func testANodeKilledUnderLoadCostsNoRequestAndRejoins() async throws {
        let node = ClusterStack.nodeCount
        XCTAssertGreaterThanOrEqual(node, 3, "a cluster that keeps its majority without one node")
        let source = FaultBillSource(tag: "gk")
        let reserve = FaultReserve()
        var extra: [FaultPayment] = []
        var connectionsBefore = 0
        var commitsBefore = 0
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            try await progress.waitForAnswers(100)
            connectionsBefore = ClusterStack.responderConnections(node: node)
            try await Background.run { try ClusterStack.killNode(node) }
            // Buyers pay while the node is down: their notifications are recorded on the others.
            for issued in reserve.take(6) { extra.append(await FaultLoad.pay(issued)) }
            try await progress.waitForAnswers(150)
            try await Background.run { try ClusterStack.startNode(node) }
            commitsBefore = ClusterStack.localCommits(node: node)
            try await progress.waitForAnswers(150)
        }
        XCTAssertGreaterThan(connectionsBefore, 0, "workers used the node that was killed")
        XCTAssertFalse(extra.isEmpty, "bills were paid while the node was down")
        // The workers that moved away stay where they are; the rejoined node takes the writes it is sent again.
        XCTAssertGreaterThanOrEqual(ClusterStack.localCommits(node: node), commitsBefore)

        // No fault is allowed: every ScanCode and Query answered errcode 0.
        try await settle("Galera node kill -9 under load", source, load, FaultRules(), extraPayments: extra)
        try await assertOneCallbackEachAndIdenticalNodes(source)
    }

    func testANodeCutOffFromTheMajorityRefusesAndTheServiceAnswers4001() async throws {
        let nodes = ClusterStack.nodeCount
        XCTAssertGreaterThanOrEqual(nodes, 3)
        // Every node but node 1 dies: node 1 alone is a minority, the cluster's non-primary side.
        try await Background.run {
            for node in 2...nodes { try ClusterStack.killNode(node) }
            try Poll.until("node 1 non-primary", seconds: 60, every: 0.1) {
                ClusterStack.status("wsrep_cluster_status", node: 1) == "non-Primary"
            }
        }
        let source = FaultBillSource(tag: "np")
        let refused = await FaultLoad.scanCode(source.next())
        XCTAssertEqual(refused.errcode, 4001, "ThreePay's own answer (nginx's would be 4003): \(refused)")
        XCTAssertEqual(refused.httpStatus, 503)
        let trades = try await StackSandbox.run { try $0.trades(subject: source.body) }
        XCTAssertEqual(trades.count, 0, "nothing was sent to Alipay")

        // The others come back, the cluster has its majority again, and the same bill is served.
        try await Background.run { try ClusterStack.startNodes(Array(2...nodes)) }
        let served = await FaultLoad.scanCode(refused.bill)
        XCTAssertEqual(served.errcode, 0, "\(served)")
    }

    func testAResponderKilledUnderLoadCostsNoRequestAndIsReplaced() async throws {
        XCTAssertGreaterThanOrEqual(ClusterStack.responderCount, 2)
        let source = FaultBillSource(tag: "rk")
        let reserve = FaultReserve()
        var extra: [FaultPayment] = []
        var killed: pid_t = 0
        var replacement: pid_t = 0
        var servedBefore = 0
        let load = try await FaultLoad.around(source, reserve: reserve) { progress in
            try await progress.waitForAnswers(100)
            let pid = try await Background.run { try ClusterStack.killResponder(1) }
            killed = pid
            // Everything the killed process answered is in its log now.
            let served = ClusterStack.requestsLogged(by: 1, path: "/api/3Pay/AliPay/ScanCode")
            servedBefore = served
            for issued in reserve.take(6) { extra.append(await FaultLoad.pay(issued)) }
            replacement = try await Background.run { try ClusterStack.waitForReplacement(of: 1, old: pid) }
            // nginx leaves the restarted responder out for its fail_timeout (10 s), then sends it requests again.
            try await Poll.eventually("the replacement responder serves ScanCode", seconds: 60, every: 0.1) {
                ClusterStack.requestsLogged(by: 1, path: "/api/3Pay/AliPay/ScanCode") > served
            }
            try await progress.waitForAnswers(50)
        }
        XCTAssertGreaterThan(servedBefore, 0, "the killed responder was serving")
        XCTAssertNotEqual(replacement, killed)
        XCTAssertEqual(ClusterStack.responderPID(1), replacement)

        try await settle("responder kill -9 under load, cluster", source, load, FaultRules(), extraPayments: extra)
        // The killed responder may have been posting its batch of callbacks (CallbackDispatch.batchSize, 5): those
        // it had sent but not yet recorded are sent again by the other responder once settling makes them due.
        try await assertOneCallbackEachAndIdenticalNodes(source, redeliveries: 5)
    }
}
