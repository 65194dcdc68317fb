import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Many workers (threads, each with its own connection) starting the same bill at the same moment.
final class ConcurrencyTests: XCTestCase {
    private final class Outcomes: @unchecked Sendable {
        // Guarded by `lock`; written by the worker threads, read after they all finished.
        private let lock = NSLock()
        private var outcomes: [BeginOutcome] = []

        func add(_ outcome: BeginOutcome) { lock.withLock { outcomes.append(outcome) } }
        var all: [BeginOutcome] { lock.withLock { outcomes } }
    }

    /// Runs `inputs.count` workers that connect, wait for a common start signal, then call Begin once.
    private func race(_ inputs: [BeginInput]) throws -> [BeginOutcome] {
        let results = Outcomes()
        let failures = ConcurrentWorkers.run(settings: try TestDatabase.settings(), inputs.map { input in
            { _, store in results.add(try store.begin(input)) }
        })
        XCTAssertEqual(failures, [])
        return results.all
    }

    func testThirtyTwoConcurrentBeginsLeaveExactlyOnePayableRecord() throws {
        let billnum = TestDatabase.uniqueBillnum()
        let outcomes = try race(Array(repeating: TestDatabase.input(billnum), count: 32))

        XCTAssertEqual(outcomes.count, 32)
        XCTAssertEqual(outcomes.filter { $0.kind == "new" }.count, 1)
        XCTAssertEqual(outcomes.filter { $0.kind == "existing" }.count, 31)
        XCTAssertEqual(Set(outcomes.map { $0.record.autoid }).count, 1, "everyone got the same trade")
        XCTAssertEqual(Set(outcomes.map { $0.record.outTradeNo }).count, 1)

        let connection = try TestDatabase.connect()
        XCTAssertEqual(try TestDatabase.recordCount(connection, billnum: billnum), 1)
        let store = PaymentRecords(connection: connection)
        XCTAssertEqual(try store.find(billtype: "2", billnum: billnum)?.status.isPayable, true)
    }

    func testConcurrentBeginsWithDifferentAmountsStillCreateOneRecord() throws {
        let billnum = TestDatabase.uniqueBillnum()
        let inputs = (0..<32).map { TestDatabase.input(billnum, amount: $0 % 2 == 0 ? "1.00" : "2.00") }
        let outcomes = try race(inputs)

        XCTAssertEqual(outcomes.count, 32)
        XCTAssertEqual(outcomes.filter { $0.kind == "new" }.count, 1)
        let winner = try XCTUnwrap(outcomes.first { $0.kind == "new" }).record
        XCTAssertEqual(Set(outcomes.map { $0.record.autoid }), [winner.autoid])
        // 16 callers sent the winner's amount (one of them is the winner), 16 the other amount.
        XCTAssertEqual(outcomes.filter { $0.kind == "existing" }.count, 15)
        XCTAssertEqual(outcomes.filter { $0.kind == "close_first" }.count, 16)
        let connection = try TestDatabase.connect()
        XCTAssertEqual(try TestDatabase.recordCount(connection, billnum: billnum), 1)
    }
}
