import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Receipt_Dispatch through Sp_3Pay_Offline_ReceiveMoney_Paid: one receipt in the billtype's own table,
/// one card credit for billtype 7, one callback — however often the payment is reported.
final class ReceiptTests: XCTestCase {
    func testEachBilltypeLandsExactlyOneReceiptInItsOwnTable() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        for billtype in ["1", "2", "3", "4", "5", "6", "7"] {
            let paid = try Receipts.pay(store, billtype: billtype, amount: "12.3\(billtype)")
            var expected = Dictionary(uniqueKeysWithValues: Receipts.tables.keys.map { ($0, Int64(0)) })
            expected[billtype] = 1
            XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid), expected, "billtype \(billtype)")

            let receipt = try XCTUnwrap(Receipts.receipt(connection, billtype: billtype, autoid: paid.autoid))
            XCTAssertEqual(try receipt.string("billnum"), paid.billnum)
            XCTAssertEqual(try receipt.string("out_trade_no"), paid.outTradeNo)
            XCTAssertEqual(try receipt.string("trade_no"), paid.tradeNo)
            XCTAssertEqual(try receipt.string("amount"), "12.3\(billtype)")
            XCTAssertEqual(try receipt.string("paytype"), paid.paytype)
            XCTAssertEqual(try receipt.date("paid_at"), paid.paidAt)
            XCTAssertNotNil(try receipt.int64("receipt_id"))
            if billtype == "7" {
                XCTAssertEqual(try receipt.string("cardno"), paid.cardno)
            }

            let outbox = try XCTUnwrap(Receipts.outbox(connection, autoid: paid.autoid))
            XCTAssertEqual(try outbox.string("billtype"), billtype)
            XCTAssertEqual(try outbox.string("status"), "PENDING")
            XCTAssertEqual(try outbox.int64("attempts"), 0)
            XCTAssertNil(try outbox.string("lease_until"))
        }
    }

    func testRecordingTheSamePaymentTwiceKeepsOneReceiptAndOneCallback() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let paid = try Receipts.pay(store, billtype: "3", tradeNo: "DUP1")
        XCTAssertFalse(try store.recordPaid(outTradeNo: paid.outTradeNo, tradeNo: "DUP1",
                                            totalAmount: paid.paymentvalue, paidAt: nil, buyerID: nil,
                                            source: .query))
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["3"], 1)
        XCTAssertEqual(try Receipts.outboxCount(connection, autoid: paid.autoid), 1)

        // Dispatch itself is idempotent too: a second call in a transaction adds nothing.
        _ = try connection.execute("START TRANSACTION")
        _ = try connection.call(ProcedureNames.receiptDispatch, [.int(paid.autoid)], idempotent: false)
        _ = try connection.execute("COMMIT")
        XCTAssertEqual(try Receipts.counts(connection, autoid: paid.autoid)["3"], 1)
        XCTAssertEqual(try Receipts.outboxCount(connection, autoid: paid.autoid), 1)
    }

    func testStoredValueCardIsCreditedOncePerPayment() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let cardno = Receipts.uniqueCardno()
        XCTAssertNil(try Receipts.balance(connection, cardno: cardno))
        let paid = try Receipts.pay(store, billtype: "7", amount: "50.05", cardno: cardno, tradeNo: "CARD1")
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "50.05", "the first credit creates the card")

        XCTAssertFalse(try store.recordPaid(outTradeNo: paid.outTradeNo, tradeNo: "CARD1",
                                            totalAmount: paid.paymentvalue, paidAt: nil, buyerID: nil,
                                            source: .notify))
        _ = try connection.execute("START TRANSACTION")
        _ = try connection.call(ProcedureNames.receiptDispatch, [.int(paid.autoid)], idempotent: false)
        _ = try connection.execute("COMMIT")
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "50.05")
        XCTAssertEqual(try Receipts.creditCount(connection, autoid: paid.autoid), 1)
        let credit = try XCTUnwrap(connection.execute(
            "SELECT cardno, amount, balance_after FROM T_3Pay_StoredValueCard_Credit WHERE autoid = ?",
            [.int(paid.autoid)]).first?.rows.first)
        XCTAssertEqual(try credit.string("cardno"), cardno)
        XCTAssertEqual(try credit.string("amount"), "50.05")
        XCTAssertEqual(try credit.string("balance_after"), "50.05")
    }

    func testPaymentsToOneCardAddUpExactly() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let cardno = Receipts.uniqueCardno()
        _ = try Receipts.pay(store, billtype: "7", amount: "0.10", cardno: cardno)
        _ = try Receipts.pay(store, billtype: "7", amount: "0.20", cardno: cardno)
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "0.30", "no binary floating point")
        _ = try Receipts.pay(store, billtype: "7", amount: "99999999.99", cardno: cardno)
        XCTAssertEqual(try Receipts.balance(connection, cardno: cardno), "100000000.29")

        let journal = try connection.execute(
            "SELECT amount, balance_after FROM T_3Pay_StoredValueCard_Credit WHERE cardno = ? ORDER BY credit_id",
            [.string(cardno)]).first?.rows ?? []
        XCTAssertEqual(try journal.map { try $0.requiredString("amount") }, ["0.10", "0.20", "99999999.99"])
        XCTAssertEqual(try journal.map { try $0.requiredString("balance_after") }, ["0.10", "0.30", "100000000.29"])
    }

    func testAPaymentThatCannotBeRoutedIsRefusedAsAWhole() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), billtype: "7",
                                                        cardno: Receipts.uniqueCardno())).record
        // Begin never stores a billtype-7 record without a card; a hand-edited row is the only way to get one.
        _ = try connection.execute("UPDATE T_3Pay_Offline_ReceiveMoney SET cardno = NULL WHERE autoid = ?",
                                   [.int(record.autoid)])

        XCTAssertRule(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: "NOCARD",
                                           totalAmount: record.paymentvalue, paidAt: nil, buyerID: nil,
                                           source: .notify),
                      containing: "(billtype 7) has no cardno to credit")
        XCTAssertEqual(try store.find(autoid: record.autoid)?.status, .initiated, "the payment was rolled back")
        XCTAssertEqual(try Receipts.counts(connection, autoid: record.autoid)["7"], 0)
        XCTAssertEqual(try Receipts.outboxCount(connection, autoid: record.autoid), 0)
    }

    func testDispatchRefusesUnpaidAndUnknownRecordsAndRunsOnlyInATransaction() throws {
        let store = try TestDatabase.store()
        let connection = try TestDatabase.connect()
        let unpaid = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        func dispatch(_ autoid: Int64, inTransaction: Bool) throws {
            if inTransaction { _ = try connection.execute("START TRANSACTION") }
            defer { if inTransaction { _ = try? connection.execute("ROLLBACK") } }
            _ = try connection.call(ProcedureNames.receiptDispatch, [.int(autoid)], idempotent: false)
        }
        func expectRule(_ body: @autoclosure () throws -> Void, _ code: Int, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                guard case .rule(let actual, let message) = error as? MariaDBError else {
                    return XCTFail("expected a rule error, got \(error)", line: line)
                }
                XCTAssertEqual(actual, code, line: line)
                XCTAssertTrue(message.contains(fragment), message, line: line)
            }
        }
        expectRule(try dispatch(unpaid.autoid, inTransaction: true), 50003, "is INITIATED: no receipt before payment")
        expectRule(try dispatch(Int64.max, inTransaction: true), 50004, "does not exist")
        expectRule(try dispatch(unpaid.autoid, inTransaction: false), 50002, "must be called inside a transaction")
        XCTAssertEqual(try Receipts.outboxCount(connection, autoid: unpaid.autoid), 0)
    }
}
