import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Sp_3Pay_Offline_ReceiveMoney_Stale, the sweep's work list, in a database of its own.
final class StaleRecordsTests: IsolatedDatabaseTestCase {
    private func newRecord() throws -> PaymentRecord {
        try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
    }

    /// Pretends the record was last changed `seconds` ago (and its QR code, if any, expired `expiredFor` ago).
    private func backdate(_ record: PaymentRecord, seconds: Int, expiredFor: Int? = nil) throws {
        _ = try connection.execute(
            "UPDATE T_3Pay_Offline_ReceiveMoney SET updated_at = UTC_TIMESTAMP(3) - INTERVAL ? SECOND WHERE autoid = ?",
            [.int(Int64(seconds)), .int(record.autoid)])
        if let expiredFor {
            _ = try connection.execute(
                "UPDATE T_3Pay_Offline_ReceiveMoney SET qr_expires_at = UTC_TIMESTAMP() - INTERVAL ? SECOND"
                    + " WHERE autoid = ?",
                [.int(Int64(expiredFor)), .int(record.autoid)])
        }
    }

    func testListsExpiredQrCodesAndLongUnknownOutcomesOldestFirst() throws {
        let validQr = try newRecord()
        try store.recordQrIssued(autoid: validQr.autoid, codeURL: "https://qr.alipay.com/a", validitySeconds: 600)
        try backdate(validQr, seconds: 900)

        let expiredQr = try newRecord()
        try store.recordQrIssued(autoid: expiredQr.autoid, codeURL: "https://qr.alipay.com/b", validitySeconds: 60)
        try backdate(expiredQr, seconds: 150, expiredFor: 90)

        let freshInitiated = try newRecord()
        try backdate(freshInitiated, seconds: 30)

        let oldInitiated = try newRecord()
        try backdate(oldInitiated, seconds: 300)

        let oldUnknown = try newRecord()
        try store.recordUnknown(autoid: oldUnknown.autoid, reason: "timeout")
        try backdate(oldUnknown, seconds: 200)

        let paid = try Receipts.pay(store, billtype: "2")
        try backdate(paid, seconds: 1000)
        let closed = try newRecord()
        try store.recordClosed(autoid: closed.autoid)
        try backdate(closed, seconds: 1000)
        let failed = try newRecord()
        try store.recordQrFailed(autoid: failed.autoid, code: "40004", subCode: nil, message: nil)
        try backdate(failed, seconds: 1000)

        let stale = try store.staleRecords(limit: 100, unknownAfterSeconds: 60)
        XCTAssertEqual(stale.map(\.autoid), [oldInitiated.autoid, oldUnknown.autoid, expiredQr.autoid])
        XCTAssertEqual(try stale.map { try XCTUnwrap(store.find(autoid: $0.autoid)) }, stale,
                       "the same record columns as the other procedures")
        XCTAssertEqual(stale.map(\.status), [.initiated, .unknown, .qrIssued])

        XCTAssertEqual(try store.staleRecords(limit: 2, unknownAfterSeconds: 60).map(\.autoid),
                       [oldInitiated.autoid, oldUnknown.autoid])
        XCTAssertEqual(try store.staleRecords(limit: 100, unknownAfterSeconds: 250).map(\.autoid),
                       [oldInitiated.autoid, expiredQr.autoid], "only INITIATED/UNKNOWN depend on the threshold")
        XCTAssertEqual(try store.staleRecords(limit: 100, unknownAfterSeconds: 0).map(\.autoid),
                       [oldInitiated.autoid, oldUnknown.autoid, expiredQr.autoid, freshInitiated.autoid])

        // Settling a record takes it off the list.
        _ = try store.recordPaid(outTradeNo: oldUnknown.outTradeNo, tradeNo: "SWEPT", totalAmount: oldUnknown.paymentvalue,
                                 paidAt: nil, buyerID: nil, source: .sweep)
        try store.recordClosed(autoid: expiredQr.autoid)
        XCTAssertEqual(try store.staleRecords(limit: 100, unknownAfterSeconds: 60).map(\.autoid), [oldInitiated.autoid])
    }

    func testArgumentsAreChecked() throws {
        XCTAssertRule(try store.staleRecords(limit: 0, unknownAfterSeconds: 60),
                      containing: "limit must be between 1 and 1000")
        XCTAssertRule(try store.staleRecords(limit: 10, unknownAfterSeconds: -1),
                      containing: "unknown_after must be between 0 and 2592000 seconds")
        XCTAssertEqual(try store.staleRecords(limit: 10, unknownAfterSeconds: 60), [])
    }
}
