import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Refund procedures called at the same moment by many workers, each on its own connection: one refund per
/// refundno reaches Alipay, refunds together never exceed the payment, and a refund is recorded once whichever
/// report comes first.
final class RefundConcurrencyTests: XCTestCase {
    private final class Changes: @unchecked Sendable {
        // Guarded by `lock`; written by the worker threads, read after they all finished.
        private let lock = NSLock()
        private var values: [Int64] = []

        func add(_ value: Int64) { lock.withLock { values.append(value) } }
        var all: [Int64] { lock.withLock { values } }
    }

    private func race(_ jobs: [@Sendable (Int, PaymentRecords) throws -> Void], file: StaticString = #filePath,
                      line: UInt = #line) throws {
        XCTAssertEqual(ConcurrentWorkers.run(settings: try TestDatabase.settings(), jobs), [], file: file, line: line)
    }

    func testSixteenCopiesOfOneRefundGiveOneCallAndOneRefund() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let paid = try Receipts.pay(store, billtype: "2", amount: "10.00")
        let (autoid, billnum) = (paid.autoid, paid.billnum)
        let outcomes = RefundOutcomes()
        // Half name the payment, half the bill.
        let copies: [@Sendable (Int, PaymentRecords) throws -> Void] = (0..<16).map { index in
            { _, store in
                let lookup: BillLookup = index % 2 == 0 ? .autoid(autoid) : .bill(billtype: "2", billnum: billnum)
                outcomes.record(autoid, RefundOutcomes.attempt { try store.beginRefund(lookup, "R1", "4.00") })
            }
        }
        try race(copies)
        let kinds = outcomes.kinds(autoid)
        XCTAssertEqual(kinds.filter { $0 == "call" }.count, 1, "\(kinds)")
        XCTAssertEqual(kinds.filter { $0 == "busy" }.count, 15, "\(kinds)")
        let refunds = try Refunds.rows(connection, autoid: autoid)
        XCTAssertEqual(refunds.count, 1)
        let refundID = try XCTUnwrap(refunds.first?.int64("refund_id"))
        XCTAssertEqual(Set(try outcomes.all.map { try $0.get().refund.refundID }), [refundID])

        // The caller records the outcome; then sixteen copies are all answered with it.
        try store.recordRefunded(refundID)
        try race(copies)
        XCTAssertEqual(outcomes.kinds(autoid).suffix(16), Array(repeating: "done", count: 16))
        XCTAssertEqual(try Refunds.summaries(connection, autoid: autoid), ["R1 REFUNDED 4.00"])
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: autoid).map(\.refundID), [0, refundID])
    }

    func testTwoRefundsThatTogetherExceedThePaymentCannotBothStart() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        // Ten bills of 10.00, each with a refund of 6.00 and one of 5.00 started at the same moment.
        let bills = try (0..<10).map { _ in try Receipts.pay(store, billtype: "3", amount: "10.00") }
        let outcomes = RefundOutcomes()
        var jobs: [@Sendable (Int, PaymentRecords) throws -> Void] = []
        for bill in bills {
            let autoid = bill.autoid
            for (refundno, amount) in [("A", "6.00"), ("B", "5.00")] {
                jobs.append { _, store in
                    outcomes.record(autoid, RefundOutcomes.attempt { try store.beginRefund(.autoid(autoid), refundno, amount) })
                }
            }
        }
        // One more bill of 10.00 with eight refunds of 3.00: three fit.
        let crowded = try Receipts.pay(store, billtype: "3", amount: "10.00")
        let crowdedID = crowded.autoid
        for index in 0..<8 {
            jobs.append { _, store in
                outcomes.record(crowdedID, RefundOutcomes.attempt { try store.beginRefund(.autoid(crowdedID), "C\(index)", "3.00") })
            }
        }
        try race(jobs)

        for bill in bills {
            XCTAssertEqual(outcomes.kinds(bill.autoid).sorted(), ["call", "exceedsRemaining"], "bill \(bill.autoid)")
            XCTAssertEqual(try Refunds.rows(connection, autoid: bill.autoid).count, 1)
        }
        XCTAssertEqual(outcomes.kinds(crowdedID).filter { $0 == "call" }.count, 3, "\(outcomes.kinds(crowdedID))")
        XCTAssertEqual(outcomes.kinds(crowdedID).filter { $0 == "exceedsRemaining" }.count, 5)
        XCTAssertEqual(try Refunds.rows(connection, autoid: crowdedID).count, 3)

        // Recording what started: each bill ends within what was paid.
        for bill in bills + [crowded] {
            for row in try Refunds.rows(connection, autoid: bill.autoid) {
                try store.recordRefunded(XCTUnwrap(row.int64("refund_id")))
            }
            let refunded = try XCTUnwrap(Money(exactly: XCTUnwrap(Refunds.refundedAmount(connection, autoid: bill.autoid))))
            XCTAssertLessThanOrEqual(refunded.fen, 1000)
        }
    }

    func testTheRefundsAnswerAndItsNotificationTogetherRecordItOnce() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let paid = try Receipts.pay(store, billtype: "7", amount: "10.00")
        let refund = try store.startRefund(paid, "R1", "4.00")
        let (refundID, outTradeNo, outRequestNo) = (refund.refundID, paid.outTradeNo, refund.outRequestNo)
        let changes = Changes()
        let jobs: [@Sendable (Int, PaymentRecords) throws -> Void] = (0..<12).map { index in
            { _, store in
                let row = index % 2 == 0
                    ? try Refunds.refundedRaw(store.connection, refundID)
                    : try XCTUnwrap(Refunds.externalRaw(store.connection, outTradeNo: outTradeNo,
                                                        outRequestNo: outRequestNo, amount: "4.00"))
                changes.add(try XCTUnwrap(row.int64("changed")))
            }
        }
        try race(jobs)
        XCTAssertEqual(changes.all.sorted(), Array(repeating: 0, count: 11) + [1], "exactly one call recorded it")
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), ["R1 REFUNDED 4.00"])
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).map(\.refundID), [0, refundID])
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: paid.autoid), "4.00")
        XCTAssertEqual(try Receipts.balance(connection, cardno: XCTUnwrap(paid.cardno)), "6.00", "one debit")
        XCTAssertEqual(try Refunds.debitCount(connection, cardno: XCTUnwrap(paid.cardno)), 1)
    }

    func testConcurrentNotificationsOfARefundMadeElsewhereRecordOneRefund() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let paid = try Receipts.pay(store, billtype: "1", amount: "10.00")
        let outTradeNo = paid.outTradeNo
        let changes = Changes()
        let jobs: [@Sendable (Int, PaymentRecords) throws -> Void] = (0..<10).map { _ in
            { _, store in
                let row = try XCTUnwrap(Refunds.externalRaw(store.connection, outTradeNo: outTradeNo,
                                                            outRequestNo: "PR20260103000000000001", amount: "2.50"))
                changes.add(try XCTUnwrap(row.int64("changed")))
            }
        }
        try race(jobs)
        XCTAssertEqual(changes.all.sorted(), Array(repeating: 0, count: 9) + [1])
        XCTAssertEqual(try Refunds.summaries(connection, autoid: paid.autoid), ["PR20260103000000000001 REFUNDED 2.50"])
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: paid.autoid), 1)
        XCTAssertEqual(try Refunds.outbox(connection, autoid: paid.autoid).count, 2)
    }
}
