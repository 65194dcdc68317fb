import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_ReceiveMoney_Paid: exactly once, never lost, never for a wrong amount.
final class PaidTests: XCTestCase {
    func testPaymentIsRecordedOnce() throws {
        let store = try TestDatabase.store()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), amount: "88.88")).record
        try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/p", validitySeconds: 600)
        let paidAt = Date(timeIntervalSince1970: 1_717_214_475)  // 2024-06-01 04:01:15 UTC
        let tradeNo = "2024060122001446880000000001"

        XCTAssertTrue(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: tradeNo,
                                           totalAmount: Money(exactly: "88.88")!, paidAt: paidAt,
                                           buyerID: "2088102177846880", source: .notify))
        let paid = try XCTUnwrap(store.find(autoid: record.autoid))
        XCTAssertFalse(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: tradeNo,
                                            totalAmount: Money(exactly: "88.88")!, paidAt: Date(),
                                            buyerID: "other", source: .query))

        XCTAssertEqual(try store.find(autoid: record.autoid), paid, "the second report changed nothing")
        XCTAssertEqual(paid.status, .paid)
        XCTAssertEqual(paid.tradeNo, tradeNo)
        XCTAssertEqual(paid.paidAmount, Money(exactly: "88.88"))
        XCTAssertEqual(paid.paidAt, paidAt)
        XCTAssertEqual(paid.buyerID, "2088102177846880")
        XCTAssertEqual(paid.paidSource, .notify)
        XCTAssertEqual(paid.codeurl, "https://qr.alipay.com/p")
    }

    func testWrongAmountChangesNothing() throws {
        let store = try TestDatabase.store()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), amount: "88.88")).record
        XCTAssertRule(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: "T1",
                                           totalAmount: Money(exactly: "88.80")!, paidAt: nil, buyerID: nil,
                                           source: .notify),
                      containing: "paid amount differs from the recorded amount")
        XCTAssertEqual(try store.find(autoid: record.autoid), record)
    }

    func testAnotherTradeNumberForAPaidRecordIsRefused() throws {
        let store = try TestDatabase.store()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        XCTAssertTrue(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: "A1", totalAmount: record.paymentvalue,
                                           paidAt: nil, buyerID: nil, source: .sweep))
        let paid = try store.find(autoid: record.autoid)
        XCTAssertConflict(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: "B2",
                                           totalAmount: record.paymentvalue, paidAt: nil, buyerID: nil,
                                           source: .notify),
                      containing: "is already paid under another trade_no")
        XCTAssertEqual(try store.find(autoid: record.autoid), paid)
        XCTAssertNotNil(paid?.paidAt, "a missing payment time defaults to the time of recording")
    }

    func testUnknownTradeIsNotFound() throws {
        let store = try TestDatabase.store()
        XCTAssertStoreError(try store.recordPaid(outTradeNo: "TP_unknown_\(TestDatabase.uniqueBillnum())",
                                                 tradeNo: "T", totalAmount: Money(fen: 1), paidAt: nil,
                                                 buyerID: nil, source: .notify),
                            .notFound)
    }

    func testPaymentOfAClosedTradeIsKeptAndTheBillBecomesPaid() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let old = try store.begin(TestDatabase.input(billnum, amount: "5.00")).record
        try store.recordClosed(autoid: old.autoid)
        let newer = try store.begin(TestDatabase.input(billnum, amount: "6.00")).record
        XCTAssertNotEqual(newer.autoid, old.autoid)

        // The buyer paid the old QR code just before it was closed: the money must not be lost.
        XCTAssertTrue(try store.recordPaid(outTradeNo: old.outTradeNo, tradeNo: "LATE1", totalAmount: old.paymentvalue,
                                           paidAt: nil, buyerID: nil, source: .notify))
        XCTAssertEqual(try store.find(autoid: old.autoid)?.status, .paid)
        XCTAssertEqual(try store.find(billtype: "2", billnum: billnum)?.autoid, old.autoid,
                       "the bill now points at its payment")
        XCTAssertStoreError(try store.begin(TestDatabase.input(billnum, amount: "6.00")),
                            .alreadyPaid("Bill \(billnum) (type 2) is already paid"))
        XCTAssertStoreError(try store.recordClosed(autoid: old.autoid),
                            .alreadyPaid("Trade \(old.outTradeNo) is already paid"))
    }

    func testPaidArgumentsAreValidatedByTheProcedure() throws {
        let connection = try TestDatabase.connect()
        func paid(_ outTradeNo: SQLValue, _ tradeNo: SQLValue, _ amount: SQLValue, _ source: SQLValue) throws {
            _ = try connection.call("Sp_3Pay_Offline_ReceiveMoney_Paid", [outTradeNo, tradeNo, amount, .null, .null, source], idempotent: false)
        }
        func expectRule(_ body: @autoclosure () throws -> Void, _ message: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                guard case .rule(let code, let text) = error as? MariaDBError else {
                    return XCTFail("expected a rule error, got \(error)", line: line)
                }
                XCTAssertEqual(code, 50002, line: line)
                XCTAssertEqual(text, message, line: line)
            }
        }
        expectRule(try paid(.null, .string("T"), .decimal("1"), .string("notify")), "out_trade_no is required")
        expectRule(try paid(.string("X"), .string(""), .decimal("1"), .string("notify")), "trade_no is required")
        expectRule(try paid(.string("X"), .string("T"), .null, .string("notify")), "total_amount is required")
        expectRule(try paid(.string("X"), .string("T"), .decimal("1"), .string("mail")),
                   "source must be notify, query or sweep")
    }
}
