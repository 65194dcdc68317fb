import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// The lease in Begin and the outcome procedures: one request at a time does Alipay work on a bill. The lease
/// lives on the bill's current record (the newest).
final class BillLeaseTests: XCTestCase {
    private var deadline: Deadline { .after(milliseconds: 30_000) }

    private func begin(_ store: PaymentRecords, _ input: BeginInput, _ lease: BillLease?) throws -> BeginOutcome {
        try store.begin(input.bill, clientIP: input.clientip, qrValiditySeconds: input.qrValiditySeconds, lease: lease,
                        deadline: deadline)
    }

    private func newLease(milliseconds: Int = 20_000) -> BillLease { .new(until: .after(milliseconds: milliseconds)) }

    private func lease(_ connection: Connection, _ billnum: String) throws -> String? {
        try connection.execute(
            """
            SELECT lease_token FROM T_3Pay_Offline_ReceiveMoney WHERE billtype = '2' AND billnum = ?
             ORDER BY autoid DESC LIMIT 1
            """, [.string(billnum)]
        ).first?.rows.first?.string("lease_token")
    }

    func testTheHolderWorksWhileEveryoneElseIsToldBusy() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = newLease(), second = newLease()
        guard case .new(let record) = try begin(store, TestDatabase.input(billnum), first) else { return XCTFail() }
        XCTAssertEqual(try lease(store.connection, billnum), first.token)
        guard case .busy(let current) = try begin(store, TestDatabase.input(billnum, amount: "1.00"), second) else {
            return XCTFail("a second request must wait its turn")
        }
        XCTAssertEqual(current?.autoid, record.autoid)
        XCTAssertEqual(try store.find(autoid: record.autoid)?.paymentvalue, Money(exactly: "88.88"), "nothing changed")
        // The holder may call Begin again (after voiding an old code, say) and keeps its turn.
        guard case .existing = try begin(store, TestDatabase.input(billnum), first) else { return XCTFail() }

        _ = try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/x", validitySeconds: 600,
                                     releasing: first, deadline: deadline)
        XCTAssertNil(try lease(store.connection, billnum), "recording the code gives the lease back")
        guard case .closeFirst = try begin(store, TestDatabase.input(billnum, amount: "1.00"), second) else {
            return XCTFail("the second request's turn")
        }
        XCTAssertEqual(try lease(store.connection, billnum), second.token)
    }

    func testHandingBackAnIssuedCodeTakesNoLease() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = newLease()
        guard case .new(let record) = try begin(store, TestDatabase.input(billnum), first) else { return XCTFail() }
        _ = try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/x", validitySeconds: 600,
                                     releasing: first, deadline: deadline)
        guard case .existing = try begin(store, TestDatabase.input(billnum), newLease()) else { return XCTFail() }
        XCTAssertNil(try lease(store.connection, billnum))
    }

    func testALeaseWhoseTimeHasPassedIsFree() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        guard case .new = try begin(store, TestDatabase.input(billnum), newLease(milliseconds: 1)) else { return XCTFail() }
        // A 1 ms lease: poll until the server's own clock has passed it.
        func live() throws -> Bool {
            try store.connection.execute(
                """
                SELECT lease_until > UTC_TIMESTAMP(3) AS live FROM T_3Pay_Offline_ReceiveMoney
                 WHERE billtype = '2' AND billnum = ? ORDER BY autoid DESC LIMIT 1
                """,
                [.string(billnum)]).first?.rows.first?.int64("live") == 1
        }
        let started = Date()
        while try live(), Date().timeIntervalSince(started) < 5 {}
        XCTAssertFalse(try live())
        guard case .existing = try begin(store, TestDatabase.input(billnum), newLease()) else {
            return XCTFail("an expired lease does not hold anyone up")
        }
    }

    func testEveryOutcomeAndReleaseGiveTheLeaseBackButOnlyTheHoldersOwn() throws {
        let store = try TestDatabase.store()
        let outcomes: [(PaymentRecords, Int64, BillLease) throws -> Void] = [
            { try $0.recordQrFailed(autoid: $1, code: "40004", subCode: "ACQ.X", message: "m", releasing: $2,
                                    deadline: self.deadline) },
            { try $0.recordUnknown(autoid: $1, reason: "timeout", releasing: $2, deadline: self.deadline) },
            { try $0.recordClosed(autoid: $1, releasing: $2, deadline: self.deadline) },
        ]
        for outcome in outcomes {
            let billnum = TestDatabase.uniqueBillnum()
            let holder = newLease()
            guard case .new(let record) = try begin(store, TestDatabase.input(billnum), holder) else { return XCTFail() }
            try outcome(store, record.autoid, newLease())
            XCTAssertEqual(try lease(store.connection, billnum), holder.token, "another token releases nothing")
            // The outcome procedures accept a repeat; this time with the holder's token.
            try outcome(store, record.autoid, holder)
            XCTAssertNil(try lease(store.connection, billnum))
        }
        let billnum = TestDatabase.uniqueBillnum()
        let holder = newLease()
        guard case .new = try begin(store, TestDatabase.input(billnum), holder) else { return XCTFail() }
        try store.release(newLease(), billtype: "2", billnum: billnum, deadline: deadline)
        XCTAssertEqual(try lease(store.connection, billnum), holder.token)
        try store.release(holder, billtype: "2", billnum: billnum, deadline: deadline)
        XCTAssertNil(try lease(store.connection, billnum))
    }

    func testWithoutATokenBeginNeitherTakesNorRespectsALease() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let holder = newLease()
        guard case .new = try begin(store, TestDatabase.input(billnum), holder) else { return XCTFail() }
        guard case .existing = try begin(store, TestDatabase.input(billnum), nil) else { return XCTFail() }
        XCTAssertEqual(try lease(store.connection, billnum), holder.token)
    }
}
