import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_ReceiveMoney_Begin through PaymentRecords.begin.
final class BeginTests: XCTestCase {
    func testFirstBeginCreatesAnInitiatedRecordWithAGatewaySafeTradeNumber() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let before = try TestDatabase.now(store.connection)
        let outcome = try store.begin(TestDatabase.input(billnum, detail: "2 adults"))
        let after = try TestDatabase.now(store.connection)
        guard case .new(let record) = outcome else { return XCTFail("expected .new, got \(outcome.kind)") }
        XCTAssertEqual(record.billnum, billnum)
        XCTAssertEqual(record.billtype, "2")
        XCTAssertEqual(record.body, "门票")
        XCTAssertEqual(record.paytype, "01")
        XCTAssertEqual(record.paymentvalue, Money(exactly: "88.88"))
        XCTAssertEqual(record.detail, "2 adults")
        XCTAssertEqual(record.clientip, "10.0.0.8")
        XCTAssertNil(record.cardno)
        XCTAssertEqual(record.status, .initiated)
        XCTAssertNil(record.codeurl)
        XCTAssertNil(record.qrExpiresAt)
        XCTAssertNil(record.tradeNo)
        // Alipay: letters, digits, underscore; at most 64. Ours: TP + yymmddHHMMSS + billtype + padded autoid.
        let pattern = try NSRegularExpression(pattern: "^TP[0-9]{12}2[0-9]{10,}$")
        let range = NSRange(record.outTradeNo.startIndex..., in: record.outTradeNo)
        XCTAssertNotNil(pattern.firstMatch(in: record.outTradeNo, range: range), record.outTradeNo)
        XCTAssertLessThanOrEqual(record.outTradeNo.count, 64)
        XCTAssertTrue(record.outTradeNo.hasSuffix(String(record.autoid)))
        XCTAssertLessThanOrEqual(before, record.createdAt, "created_at is UTC now (by the database's clock)")
        XCTAssertLessThanOrEqual(record.createdAt, after, "created_at is UTC now (by the database's clock)")
        XCTAssertEqual(record.updatedAt, record.createdAt)
        XCTAssertEqual(try store.find(billtype: "2", billnum: billnum), record)
    }

    func testSameAmountResumesTheSameTrade() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum)).record
        let again = try store.begin(TestDatabase.input(billnum, body: "another body"))
        XCTAssertEqual(again, .existing(first), "an INITIATED record is handed back for (re)precreate")

        let issued = try store.recordQrIssued(autoid: first.autoid, codeURL: "https://qr.alipay.com/bax1",
                                              validitySeconds: 600)
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum)), .existing(issued))
        XCTAssertEqual(try TestDatabase.recordCount(store.connection, billnum: billnum), 1)
    }

    func testDifferentAmountAsksToCloseTheOldTradeFirst() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum, amount: "10.00")).record
        let issued = try store.recordQrIssued(autoid: first.autoid, codeURL: "https://qr.alipay.com/x",
                                              validitySeconds: 600)

        XCTAssertEqual(try store.begin(TestDatabase.input(billnum, amount: "10.01")), .closeFirst(old: issued))
        XCTAssertEqual(try TestDatabase.recordCount(store.connection, billnum: billnum), 1, "nothing written yet")

        let closed = try store.recordClosed(autoid: first.autoid)
        XCTAssertEqual(closed.status, .closed)
        guard case .new(let second) = try store.begin(TestDatabase.input(billnum, amount: "10.01")) else {
            return XCTFail("expected a new record after closing")
        }
        XCTAssertNotEqual(second.outTradeNo, first.outTradeNo)
        XCTAssertEqual(second.paymentvalue, Money(exactly: "10.01"))
        XCTAssertEqual(try store.find(billtype: "2", billnum: billnum)?.autoid, second.autoid)
        XCTAssertEqual(try store.find(autoid: first.autoid)?.status, .closed)
    }

    func testExpiredQrCodeAsksToCloseFirst() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum)).record
        try store.recordQrIssued(autoid: first.autoid, codeURL: "https://qr.alipay.com/y", validitySeconds: 600)
        _ = try store.connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET qr_expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND"
                + " WHERE autoid = ?", [.int(first.autoid)])
        guard case .closeFirst(let old) = try store.begin(TestDatabase.input(billnum)) else {
            return XCTFail("an expired QR code must not be handed out")
        }
        XCTAssertEqual(old.autoid, first.autoid)
    }

    func testInitiatedRecordOlderThanTheValidityAsksToCloseFirst() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum, validity: 600)).record
        _ = try store.connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET created_at = UTC_TIMESTAMP(3) - INTERVAL 601 SECOND"
                + " WHERE autoid = ?", [.int(first.autoid)])
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum, validity: 600)).kind, "close_first")
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum, validity: 7200)).kind, "existing")
    }

    func testFailedOrClosedRecordIsFollowedByANewOne() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum)).record
        try store.recordQrFailed(autoid: first.autoid, code: "40004", subCode: "ACQ.INVALID_PARAMETER",
                                 message: "Business Failed")
        guard case .new(let second) = try store.begin(TestDatabase.input(billnum)) else {
            return XCTFail("QR_FAILED is not payable: a new record is expected")
        }
        try store.recordClosed(autoid: second.autoid)
        guard case .new(let third) = try store.begin(TestDatabase.input(billnum)) else {
            return XCTFail("CLOSED is not payable: a new record is expected")
        }
        XCTAssertEqual(Set([first.outTradeNo, second.outTradeNo, third.outTradeNo]).count, 3)
        XCTAssertEqual(try TestDatabase.recordCount(store.connection, billnum: billnum), 3)
    }

    func testStoredValueCardChangeAsksToCloseFirst() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum, billtype: "7", cardno: "C001")).record
        XCTAssertEqual(first.cardno, "C001")
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum, billtype: "7", cardno: "C001")).kind, "existing")
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum, billtype: "7", cardno: "C002")).kind,
                       "close_first")
    }

    func testPaidBillIsRefusedWithADistinctError() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum)).record
        XCTAssertTrue(try store.recordPaid(outTradeNo: first.outTradeNo, tradeNo: "2024\(first.autoid)",
                                           totalAmount: first.paymentvalue, paidAt: nil, buyerID: nil,
                                           source: .notify))
        XCTAssertStoreError(try store.begin(TestDatabase.input(billnum)),
                            .alreadyPaid("Bill \(billnum) (type 2) is already paid"))
        XCTAssertStoreError(try store.begin(TestDatabase.input(billnum, amount: "1.00")),
                            .alreadyPaid("Bill \(billnum) (type 2) is already paid"))
        XCTAssertEqual(try TestDatabase.recordCount(store.connection, billnum: billnum), 1)
    }

    func testBillsAreKeyedByTypeAndNumber() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let two = try store.begin(TestDatabase.input(billnum, billtype: "2")).record
        let three = try store.begin(TestDatabase.input(billnum, billtype: "3"))
        XCTAssertEqual(three.kind, "new")
        XCTAssertNotEqual(three.record.autoid, two.autoid)
        // utf8mb4_bin: bill numbers are case-sensitive.
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum.uppercased(), billtype: "2")).kind, "new")
    }

    func testRefusedBeginLeavesNoTransactionOpen() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let first = try store.begin(TestDatabase.input(billnum)).record
        _ = try store.recordPaid(outTradeNo: first.outTradeNo, tradeNo: "T\(first.autoid)",
                                 totalAmount: first.paymentvalue, paidAt: nil, buyerID: nil, source: .query)
        XCTAssertThrowsError(try store.begin(TestDatabase.input(billnum)))
        let sets = try store.connection.execute("SELECT @@in_transaction AS t")
        XCTAssertEqual(try sets.first?.rows.first?.int64("t"), 0)
    }
}
