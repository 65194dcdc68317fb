import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Duplicate notifications and queries for one payment, all at once, each worker on its own connection.
final class ReceiptConcurrencyTests: XCTestCase {
    private final class Results: @unchecked Sendable {
        // Guarded by `lock`; written by the worker threads, read after they all finished.
        private let lock = NSLock()
        private var recorded: [Bool] = []
        private var seen: [PaymentStatus] = []

        func record(_ changed: Bool) { lock.withLock { recorded.append(changed) } }
        func saw(_ status: PaymentStatus) { lock.withLock { seen.append(status) } }
        var snapshot: (recorded: [Bool], seen: [PaymentStatus]) { lock.withLock { (recorded, seen) } }
    }

    /// Runs every job at once, each on its own connection; a failure of any of them fails the test.
    private func race(_ jobs: [@Sendable (PaymentRecords) throws -> Void]) throws {
        let failures = ConcurrentWorkers.run(settings: try TestDatabase.settings(), jobs.map { job in
            { _, store in try job(store) }
        })
        XCTAssertEqual(failures, [])
    }

    func testTenConcurrentNotificationsWithQueriesGiveOneReceiptOneCreditOneCallback() throws {
        let store = try TestDatabase.store()
        let cardno = Receipts.uniqueCardno()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), billtype: "7",
                                                        amount: "66.66", cardno: cardno)).record
        try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/c", validitySeconds: 600)
        let outTradeNo = record.outTradeNo
        let amount = record.paymentvalue
        let tradeNo = "2024\(record.autoid)RACE"

        let results = Results()
        // Ten notifications: record the payment.
        var jobs: [@Sendable (PaymentRecords) throws -> Void] = (0..<10).map { _ in
            { store in
                results.record(try store.recordPaid(outTradeNo: outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                                                    paidAt: nil, buyerID: "2088", source: .notify))
            }
        }
        // Five queries: read the record, and record the payment the query found.
        jobs += (0..<5).map { _ in
            { store in
                if let status = try store.find(outTradeNo: outTradeNo)?.status { results.saw(status) }
                results.record(try store.recordPaid(outTradeNo: outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                                                    paidAt: nil, buyerID: "2088", source: .query))
            }
        }
        try race(jobs)

        let (recorded, seen) = results.snapshot
        XCTAssertEqual(recorded.count, 15)
        XCTAssertEqual(recorded.filter { $0 }.count, 1, "exactly one call recorded the payment")
        XCTAssertEqual(seen.count, 5)
        XCTAssertTrue(seen.allSatisfy { $0 == .qrIssued || $0 == .paid }, "\(seen)")

        let connection = try TestDatabase.connect()
        XCTAssertEqual(try Receipts.counts(connection, autoid: record.autoid)["7"], 1)
        XCTAssertEqual(try Receipts.counts(connection, autoid: record.autoid).values.reduce(0, +), 1)
        XCTAssertEqual(try Receipts.creditCount(connection, autoid: record.autoid), 1)
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "66.66")
        XCTAssertEqual(try Receipts.outboxCount(connection, autoid: record.autoid), 1)
        XCTAssertEqual(try store.find(autoid: record.autoid)?.status, .paid)
    }

    func testConcurrentPaymentsToOneCardAllCount() throws {
        let store = try TestDatabase.store()
        let cardno = Receipts.uniqueCardno()
        // Ten different bills topping up the same card at once: 0.01 … 0.10, 0.55 in total.
        let records = try (1...10).map { cents in
            try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), billtype: "7",
                                               amount: String(format: "0.%02d", cents), cardno: cardno)).record
        }
        let results = Results()
        let jobs: [@Sendable (PaymentRecords) throws -> Void] = records.map { record in
            let (outTradeNo, amount, tradeNo) = (record.outTradeNo, record.paymentvalue, "2024\(record.autoid)")
            return { store in
                results.record(try store.recordPaid(outTradeNo: outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                                                    paidAt: nil, buyerID: nil, source: .notify))
            }
        }
        try race(jobs)

        let (recorded, _) = results.snapshot
        XCTAssertEqual(recorded, Array(repeating: true, count: 10))
        let connection = try TestDatabase.connect()
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "0.55")
        let last = try connection.execute(
            "SELECT MAX(balance_after) AS top, COUNT(*) AS n FROM T_3Pay_StoredValueCard_Credit WHERE cardno = ?",
            [.string(cardno)]).first?.rows.first
        XCTAssertEqual(try last?.string("top"), "0.55", "each credit saw the one before it")
        XCTAssertEqual(try last?.int64("n"), 10)
    }
}
