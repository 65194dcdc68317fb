import Foundation
import TestSupport
import XCTest

/// Copies of one refund sent at the same moment (a cashier's double click, a client's retries) reach Alipay once.
final class RefundRaceTests: RefundTestCase {
    func testEightConcurrentCopiesOfOneRefundRefundOnce() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RR", billtype: "4", amount: "8.00", database)
        // Alipay takes its time to answer, so the copies arrive while the first one is at Alipay.
        try await GatewayCalls.startCounting(delayMilliseconds: 300)

        let answers = try await withThrowingTaskGroup(of: [LifecycleEnvelope].self) { group in
            for _ in 0..<8 {
                group.addTask { try await RefundAPI.refundUntilSettled(bill, "R1", "2.00") }
            }
            var all: [[LifecycleEnvelope]] = []
            for try await answers in group { all.append(answers) }
            return all
        }
        try await assertGatewayCalls(1, "one call reached Alipay")

        XCTAssertEqual(answers.count, 8)
        for copy in answers {
            // Every copy ends refunded; before that it may have been told to send again (busy, or pending).
            let final = try XCTUnwrap(copy.last)
            assertRefunded(final, bill, refundno: "R1", value: "2.00", total: "2.00")
            for earlier in copy.dropLast() {
                XCTAssertTrue([2004, 3002].contains(earlier.errcode), "\(earlier.errcode) \(earlier.errmsg ?? "")")
            }
        }
        let refunds = try await StackSandbox.run { try $0.refunds(bill.outTradeNo) }
        XCTAssertEqual(refunds.count, 1, "Alipay refunded once: \(refunds)")
        XCTAssertEqual(refunds.first?.amount, "2.00")
        XCTAssertEqual(refunds.first?.outRequestNo, try database.refunds(autoid: bill.autoid).first?["out_request_no"])
        try assertRefunds(bill, database, ["R1 REFUNDED 2.00"], total: "2.00")
        try await assertCallbacks(bill, database, refunds: [("R1", "2.00", "2.00")])
        try await assertQuery(bill, status: "paid", refundedTotal: "2.00")
    }

    func testTwoRefundsThatTogetherExceedThePaymentAtTheSameMomentOnlyOneIsMade() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RO", billtype: "5", amount: "10.00", database)
        try await StackSandbox.run { try $0.setFaults(["latency_ms": 200]) }
        async let first = RefundAPI.refund(bill, "A", "6.00")
        async let second = RefundAPI.refund(bill, "B", "5.00")
        let answers = try await [first, second]
        try await StackSandbox.run { try $0.resetFaults() }

        XCTAssertEqual(answers.map(\.errcode).sorted(), [0, 2005], "\(answers.map { $0.errmsg ?? "" })")
        let winner = try XCTUnwrap(answers.first { $0.errcode == 0 })
        let refundno = try XCTUnwrap(winner.tag["refundno"])
        let value = try XCTUnwrap(winner.tag["refundvalue"])
        try await assertAlipayRefunds(bill.outTradeNo, [value])
        try assertRefunds(bill, database, ["\(refundno) REFUNDED \(value)"], total: value)
    }
}
