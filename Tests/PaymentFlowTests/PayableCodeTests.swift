import Foundation
import PaymentFlow
import PaymentModel
import XCTest

/// Which records' codes may be shown: only an issued code within its validity.
final class PayableCodeTests: FlowTestCase {
    func testAnIssuedCodeIsPayableUntilItsValidityEnds() throws {
        let record = try issued(bill())
        let expiresAt = try XCTUnwrap(record.qrExpiresAt)
        let codeURL = try XCTUnwrap(record.codeurl)
        XCTAssertEqual(record.codeAvailability(at: store.clock), .payable(codeURL: codeURL, expiresAt: expiresAt))
        XCTAssertEqual(
            record.codeAvailability(at: expiresAt.addingTimeInterval(-1)), .payable(codeURL: codeURL, expiresAt: expiresAt))
        XCTAssertEqual(record.codeAvailability(at: expiresAt), .unavailable(.expired))
        XCTAssertEqual(record.codeAvailability(at: expiresAt.addingTimeInterval(3600)), .unavailable(.expired))
    }

    func testVoidedPaidRefusedAndUnissuedRecordsHaveNoPayableCode() throws {
        let record = try issued(bill())
        let now = store.clock
        XCTAssertEqual(record.with(status: .closed).codeAvailability(at: now), .unavailable(.closed))
        XCTAssertEqual(record.with(status: .paid).codeAvailability(at: now), .paid)
        XCTAssertEqual(record.with(status: .qrFailed).codeAvailability(at: now), .unavailable(.refused))
        XCTAssertEqual(record.with(status: .unknown).codeAvailability(at: now), .unavailable(.notIssued))
        XCTAssertEqual(record.with(status: .initiated).codeAvailability(at: now), .unavailable(.notIssued))
    }

    func testTheFlowsOwnTransitionsEndThePayableCode() throws {
        let first = try issued(bill("B7"))
        // A changed amount voids the first trade: its record is closed, the new one is payable.
        let second = try issued(bill("B7", amount: "8.00"))
        XCTAssertNotEqual(first.autoid, second.autoid)
        XCTAssertEqual(record(first.autoid).codeAvailability(at: store.clock), .unavailable(.closed))
        guard case .payable = record(second.autoid).codeAvailability(at: store.clock) else {
            return XCTFail("the new code is payable: \(record(second.autoid))")
        }
        // Cancel.
        _ = flow.cancel(record(second.autoid), deadline: deadline)
        XCTAssertEqual(record(second.autoid).codeAvailability(at: store.clock), .unavailable(.closed))
        // Paid (found by a query).
        let third = try issued(bill("B8"))
        gateway.pay(third.outTradeNo)
        _ = flow.refresh(third, source: .query, deadline: deadline)
        XCTAssertEqual(record(third.autoid).codeAvailability(at: store.clock), .paid)
    }
}
