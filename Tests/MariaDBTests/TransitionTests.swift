import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// _QrIssued, _QrFailed, _Unknown, _Closed and the three look-ups.
final class TransitionTests: XCTestCase {
    private func newRecord(_ store: PaymentRecords) throws -> PaymentRecord {
        try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
    }

    func testQrIssuedStoresTheCodeAndItsExpiry() throws {
        let store = try TestDatabase.store()
        let record = try newRecord(store)
        let before = try TestDatabase.now(store.connection)
        let issued = try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/bax0001",
                                              validitySeconds: 900)
        let after = try TestDatabase.now(store.connection)
        XCTAssertEqual(issued.status, .qrIssued)
        XCTAssertEqual(issued.codeurl, "https://qr.alipay.com/bax0001")
        let expiry = try XCTUnwrap(issued.qrExpiresAt)
        // qr_expires_at is UTC now + validity: the change's own time (taken during the call) plus 900 s, cut to
        // the column's whole seconds.
        let expected = issued.updatedAt.addingTimeInterval(900).timeIntervalSince1970.rounded(.down)
        XCTAssertEqual(expiry.timeIntervalSince1970, expected, "qr_expires_at is UTC now + validity")
        XCTAssertLessThanOrEqual(before, issued.updatedAt)
        XCTAssertLessThanOrEqual(issued.updatedAt, after)
        XCTAssertEqual(try store.find(autoid: record.autoid), issued)
        XCTAssertEqual(try store.find(outTradeNo: record.outTradeNo), issued)

        // Issuing again (a repeated precreate) is allowed and refreshes the code.
        let again = try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/bax0002",
                                             validitySeconds: 900)
        XCTAssertEqual(again.codeurl, "https://qr.alipay.com/bax0002")
    }

    func testQrIssuedIsRefusedForClosedFailedPaidAndUnknownRecords() throws {
        let store = try TestDatabase.store()
        let closed = try newRecord(store)
        try store.recordClosed(autoid: closed.autoid)
        XCTAssertConflict(try store.recordQrIssued(autoid: closed.autoid, codeURL: "u", validitySeconds: 60),
                      containing: "is CLOSED: cannot record qr_issued")

        let failed = try newRecord(store)
        try store.recordQrFailed(autoid: failed.autoid, code: "40004", subCode: nil, message: nil)
        XCTAssertConflict(try store.recordQrIssued(autoid: failed.autoid, codeURL: "u", validitySeconds: 60),
                      containing: "is QR_FAILED")

        let paid = try newRecord(store)
        _ = try store.recordPaid(outTradeNo: paid.outTradeNo, tradeNo: "X\(paid.autoid)",
                                 totalAmount: paid.paymentvalue, paidAt: nil, buyerID: nil, source: .notify)
        XCTAssertStoreError(try store.recordQrIssued(autoid: paid.autoid, codeURL: "u", validitySeconds: 60),
                            .alreadyPaid("Trade \(paid.outTradeNo) is already paid"))

        XCTAssertStoreError(try store.recordQrIssued(autoid: Int64.max, codeURL: "u", validitySeconds: 60),
                            .notFound)
        let record = try newRecord(store)
        XCTAssertRule(try store.recordQrIssued(autoid: record.autoid, codeURL: "", validitySeconds: 60),
                      containing: "codeurl is required")
        XCTAssertRule(try store.recordQrIssued(autoid: record.autoid, codeURL: "u", validitySeconds: 0),
                      containing: "QR validity must be between 1 and 7200 seconds")
        XCTAssertRule(try store.recordQrIssued(autoid: record.autoid, codeURL: String(repeating: "u", count: 1025),
                                               validitySeconds: 60),
                      containing: "codeurl must be at most 1024 characters")
        XCTAssertEqual(try store.find(autoid: record.autoid)?.status, .initiated, "refused calls change nothing")
    }

    func testQrFailedKeepsTheGatewayAnswer() throws {
        let store = try TestDatabase.store()
        let record = try newRecord(store)
        let failed = try store.recordQrFailed(autoid: record.autoid, code: "40004", subCode: "ACQ.TOTAL_FEE_EXCEED",
                                              message: "Business Failed")
        XCTAssertEqual(failed.status, .qrFailed)
        XCTAssertEqual(failed.gatewayCode, "40004")
        XCTAssertEqual(failed.gatewaySubCode, "ACQ.TOTAL_FEE_EXCEED")
        XCTAssertEqual(failed.gatewayMessage, "Business Failed")
        // A repeat is harmless; closing a record that never had a trade is not a legal move.
        XCTAssertEqual(try store.recordQrFailed(autoid: record.autoid, code: "40004", subCode: nil, message: nil)
            .status, .qrFailed)
        XCTAssertConflict(try store.recordClosed(autoid: record.autoid), containing: "is QR_FAILED: cannot record closed")
        XCTAssertConflict(try store.recordUnknown(autoid: record.autoid, reason: "timeout"), containing: "is QR_FAILED")
    }

    func testUnknownOutcomeCanBeResumedAndThenIssued() throws {
        let store = try TestDatabase.store()
        let billnum = TestDatabase.uniqueBillnum()
        let record = try store.begin(TestDatabase.input(billnum)).record
        let unknown = try store.recordUnknown(autoid: record.autoid, reason: "timeout after 15 s")
        XCTAssertEqual(unknown.status, .unknown)
        XCTAssertEqual(unknown.gatewayMessage, "timeout after 15 s")
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum)), .existing(unknown))

        let issued = try store.recordQrIssued(autoid: record.autoid, codeURL: "https://qr.alipay.com/z",
                                              validitySeconds: 600)
        XCTAssertEqual(issued.status, .qrIssued)
        XCTAssertNil(issued.gatewayMessage, "a successful precreate clears the earlier failure text")
        // A late failure report of a parallel attempt does not take back an issued QR code.
        XCTAssertEqual(try store.recordUnknown(autoid: record.autoid, reason: "late").status, .qrIssued)
        XCTAssertEqual(try store.recordQrFailed(autoid: record.autoid, code: "x", subCode: nil, message: nil).status,
                       .qrIssued)
    }

    func testClosedIsRepeatableAndFinal() throws {
        let store = try TestDatabase.store()
        let record = try newRecord(store)
        XCTAssertEqual(try store.recordClosed(autoid: record.autoid).status, .closed)
        XCTAssertEqual(try store.recordClosed(autoid: record.autoid).status, .closed)
        XCTAssertConflict(try store.recordUnknown(autoid: record.autoid, reason: "r"), containing: "is CLOSED")
        XCTAssertStoreError(try store.recordClosed(autoid: Int64.max), .notFound)
    }

    func testLookupsReturnNilForUnknownKeys() throws {
        let store = try TestDatabase.store()
        XCTAssertNil(try store.find(autoid: Int64.max))
        XCTAssertNil(try store.find(outTradeNo: "TP_no_such_trade"))
        XCTAssertNil(try store.find(billtype: "2", billnum: TestDatabase.uniqueBillnum()))
    }

    func testAllProceduresExist() throws {
        let store = try TestDatabase.store()
        XCTAssertEqual(try store.missingProcedures(), [])
    }
}
