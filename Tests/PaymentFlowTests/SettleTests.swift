import Alipay
import CivilTime
import PaymentFlow
import PaymentModel
import XCTest

/// Query, Cancel and the sweep: asking Alipay where a trade stands, voiding it, and recording what is found.
final class SettleTests: FlowTestCase {
    func testRefreshLeavesAnUnscannedTradeWaiting() throws {
        let record = try issued(bill())
        let refreshed = try flow.refresh(record, source: .query, deadline: deadline).get()
        XCTAssertEqual(refreshed.status, .qrIssued)
        XCTAssertEqual(gateway.calls.last, "query TP1")
    }

    func testRefreshRecordsAPaymentOnce() throws {
        let record = try issued(bill())
        gateway.pay(record.outTradeNo)
        let refreshed = try flow.refresh(record, source: .query, deadline: deadline).get()
        XCTAssertEqual(refreshed.status, .paid)
        XCTAssertEqual(refreshed.tradeNo, "2026TP1")
        XCTAssertEqual(refreshed.paidAt.map(CivilTimeText.china.format), "2026-06-01 12:00:00")
        _ = try flow.refresh(record, source: .query, deadline: deadline).get()
        XCTAssertEqual(store.receipts, [record.autoid])
    }

    func testRefreshRecordsATradeClosedAtAlipay() throws {
        let record = try issued(bill())
        gateway.scan(record.outTradeNo)
        _ = try gateway.close(.outTradeNo(record.outTradeNo), deadline: deadline)
        XCTAssertEqual(try flow.refresh(record, source: .sweep, deadline: deadline).get().status, .closed)
    }

    func testRefreshOfAFinalRecordAsksNobody() throws {
        let record = try issued(bill())
        let closed = try flow.void(record, deadline: deadline).get()
        let calls = gateway.calls
        XCTAssertEqual(try flow.refresh(closed, source: .query, deadline: deadline).get(), closed)
        XCTAssertEqual(gateway.calls, calls)
    }

    func testRefreshThatCannotReachAlipaySaysSoAndChangesNothing() throws {
        let record = try issued(bill())
        gateway.faults["query"] = [.outcomeUnknown(.connection, reason: "reset")]
        let failed = try failure(flow.refresh(record, source: .query, deadline: deadline))
        XCTAssertEqual(failed.error.code, .gatewayOutcomeUnknown)
        XCTAssertEqual(self.record(record.autoid).status, .qrIssued)
    }

    func testVoidOfAScannedTradeClosesIt() throws {
        let record = try issued(bill())
        gateway.scan(record.outTradeNo)
        XCTAssertEqual(try flow.void(record, deadline: deadline).get().status, .closed)
        XCTAssertEqual(gateway.trades[record.outTradeNo]?.state, .closed)
    }

    func testVoidBeforeTheFirstScanCancelsSoTheOldCodeCannotBePaid() throws {
        let record = try issued(bill())
        XCTAssertEqual(try flow.void(record, deadline: deadline).get().status, .closed)
        XCTAssertEqual(gateway.calls.suffix(2), ["close TP1", "cancel TP1"])
        XCTAssertEqual(gateway.trades["TP1"]?.state, .closed, "unpayable at Alipay, not only in the record")
    }

    func testCancelAsksAgainWhileAlipaySaysRetry() throws {
        let record = try issued(bill())
        gateway.cancelRetries = 2
        XCTAssertEqual(try flow.void(record, deadline: deadline).get().status, .closed)
        XCTAssertEqual(gateway.calls.filter { $0.hasPrefix("cancel") }.count, 3)
    }

    func testAPaymentThatSlipsInBeforeTheCancelIsRecordedWithItsRefundAndAnswered2001() throws {
        let record = try issued(bill())
        gateway.pay(record.outTradeNo)
        gateway.faults["close"] = [ScriptedGateway.refusal("ACQ.TRADE_NOT_EXIST")]
        let failed = try failure(flow.cancel(record, deadline: deadline))
        XCTAssertEqual(failed.error.code, .alreadyPaid)
        XCTAssertTrue(failed.error.message.contains("refunded"), failed.error.message)
        XCTAssertEqual(self.record(1).status, .paid)
        XCTAssertTrue(self.record(1).isFullyRefunded)
        XCTAssertEqual(store.receipts, [1])
        XCTAssertEqual(store.refunds.map(\.outRequestNo), [record.outTradeNo])
    }

    func testVoidTwiceIsHarmless() throws {
        let record = try issued(bill())
        let closed = try flow.void(record, deadline: deadline).get()
        XCTAssertEqual(try flow.void(closed, deadline: deadline).get().status, .closed)
    }

    func testVoidOfAPaidTradeRecordsThePayment() throws {
        let record = try issued(bill())
        gateway.pay(record.outTradeNo)
        XCTAssertEqual(try flow.void(record, deadline: deadline).get().status, .paid)
        XCTAssertEqual(store.receipts, [record.autoid])
    }

    func testCancelOfAPaidBillAnswers2001WithThePaidRecord() throws {
        let record = try issued(bill())
        gateway.pay(record.outTradeNo)
        let failed = try failure(flow.cancel(record, deadline: deadline))
        XCTAssertEqual(failed.error.code, .alreadyPaid)
        XCTAssertEqual(failed.record?.status, .paid)
    }

    func testFindByBillAndByAutoid() throws {
        let record = try issued(bill())
        XCTAssertEqual(try flow.find(.bill(billtype: "2", billnum: "B1"), deadline: deadline).get().autoid, record.autoid)
        XCTAssertEqual(try flow.find(.autoid(record.autoid), deadline: deadline).get().autoid, record.autoid)
        XCTAssertEqual(try failure(flow.find(.autoid(99), deadline: deadline)).error.code, .recordNotFound)
    }

    func testTheSweepRecordsPaymentsAndVoidsExpiredCodes() throws {
        let paid = try issued(bill("B1"))
        let expired = try issued(bill("B2"))
        _ = try issued(bill("B3"))
        gateway.pay(paid.outTradeNo)
        store.clock = store.clock.addingTimeInterval(901)
        var report = try flow.sweep(limit: 10, now: store.clock, deadline: deadline)
        XCTAssertEqual(report.examined, 3)
        XCTAssertEqual(report.paid, 1)
        XCTAssertEqual(report.closed, 2)
        XCTAssertEqual(record(paid.autoid).paidSource, .sweep)
        XCTAssertEqual(record(expired.autoid).status, .closed)
        report = try flow.sweep(limit: 10, now: store.clock, deadline: deadline)
        XCTAssertEqual(report.examined, 0, "settled records leave the list")
    }

    func testTheSweepCountsWhatAlipayCouldNotSettle() throws {
        _ = try issued(bill())
        store.clock = store.clock.addingTimeInterval(901)
        gateway.faults["query"] = [.outcomeUnknown(.timeout, reason: "timeout")]
        let report = try flow.sweep(limit: 10, now: store.clock, deadline: deadline)
        XCTAssertEqual(report.unresolved, 1)
        XCTAssertEqual(record(1).status, .qrIssued)
    }

    func testAPassClaimsWhatItSettlesUntilItsDeadline() throws {
        _ = try issued(bill())
        store.clock = store.clock.addingTimeInterval(901)
        gateway.faults["query"] = [.outcomeUnknown(.timeout, reason: "timeout")]
        XCTAssertEqual(try flow.sweep(limit: 10, now: store.clock, deadline: deadline).unresolved, 1)
        XCTAssertEqual(try flow.sweep(limit: 10, now: store.clock, deadline: deadline).examined, 0,
                       "another pass (another responder's) is not given a record the first one holds")
        store.clock = store.clock.addingTimeInterval(Double(deadline.remainingMilliseconds) / 1000 + 1)
        let report = try flow.sweep(limit: 10, now: store.clock, deadline: deadline)
        XCTAssertEqual(report.examined, 1, "the claim ran out: the record is swept again")
        XCTAssertEqual(report.closed, 1)
        XCTAssertEqual(store.calls.filter { $0 == "claimStale" }.count, 3)
    }
}
