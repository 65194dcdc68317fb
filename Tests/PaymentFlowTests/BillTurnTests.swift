import Alipay
import PaymentFlow
import PaymentModel
import XCTest

/// Requests for one bill take turns: the bill's lease.
final class BillTurnTests: FlowTestCase {
    func testABusyBillIsWaitedForAndThenServedLikeALaterRequest() throws {
        _ = try issued(bill(amount: "7.00"))
        store.leases["2/B1"] = "another request"
        store.busyAnswersBeforeRelease = 2
        let record = try issued(bill(amount: "8.00"))
        XCTAssertEqual(record.paymentvalue, Money(exactly: "8.00"))
        XCTAssertEqual(store.calls.filter { $0 == "begin" }.count, 1 + 3 + 1, "two busy answers, then its turn")
        XCTAssertEqual(self.record(1).status, .closed)
        XCTAssertNil(store.leases["2/B1"], "the lease is given back with the recorded code")
    }

    func testTheSameRequestPassedOnToAnotherResponderCarriesOnUnderItsLease() throws {
        // The first responder took the bill's lease for request 3f…a1 and died before recording anything; nginx
        // passes the same request (same id) on to another responder.
        let requestID = "3f2b9c7d1e4a5b6c7d8e9f00112233a1"
        store.leases["2/B1"] = "req-" + requestID
        let record = try flow.issueQRCode(for: bill(), requestID: requestID, deadline: deadline).get()
        XCTAssertEqual(record.status, .qrIssued)
        XCTAssertEqual(store.calls.filter { $0 == "begin" }.count, 1, "no wait for its own lease")
        XCTAssertNil(store.leases["2/B1"], "given back with the recorded code")
        // Another request, or an id too short to be nginx's, is someone else: it waits, here until its short
        // deadline leaves no time (the lease is never given back).
        store.leases["2/B2"] = "req-" + requestID
        for other in ["a0b1c2d3e4f5061728394a5b6c7d8e9f", "3f2b", nil] as [String?] {
            let short = Deadline.after(milliseconds: 3_050)
            XCTAssertEqual(try failure(flow.issueQRCode(for: bill("B2"), requestID: other, deadline: short)).error.code,
                           .billBusy)
        }
        XCTAssertEqual(store.leases["2/B2"], "req-" + requestID)
    }

    func testNoTimeLeftToWaitAnswers2004AndChangesNothing() throws {
        _ = try issued(bill(amount: "7.00"))
        store.leases["2/B1"] = "another request"
        flow = PaymentFlow(store: store, gateway: gateway, settings: PaymentFlow.Settings(
            qrValiditySeconds: 900, qrTimeoutExpress: "15m", defaultClientIP: "202.96.128.68",
            recordingReserveMilliseconds: 120_000))
        let failed = try failure(flow.issueQRCode(for: bill(amount: "8.00"), deadline: deadline))
        XCTAssertEqual(failed.error.code, .billBusy)
        XCTAssertEqual(failed.error.errcode, 2004)
        XCTAssertTrue(failed.error.message.contains("send the same bill again"), failed.error.message)
        XCTAssertEqual(record(1).status, .qrIssued)
        XCTAssertEqual(gateway.calls, ["precreate TP1"])
        XCTAssertEqual(store.leases["2/B1"], "another request", "someone else's lease is left alone")
    }

    func testEveryOutcomeGivesTheLeaseBack() throws {
        let outcomes: [AlipayError] = [
            .outcomeUnknown(.timeout, reason: "t"), ScriptedGateway.refusal("ACQ.ACCESS_FORBIDDEN"),
            .invalidSignature,
        ]
        for (index, fault) in outcomes.enumerated() {
            gateway.faults["precreate"] = [fault]
            _ = flow.issueQRCode(for: bill("F\(index)"), deadline: deadline)
            XCTAssertNil(store.leases["2/F\(index)"], "\(fault)")
        }
        // The old code cannot be voided: the request stops before any outcome is recorded.
        _ = try issued(bill("V"))
        gateway.faults["close"] = [.outcomeUnknown(.connection, reason: "reset")]
        gateway.scan("TP\(store.records.count)")
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill("V", amount: "8.00"), deadline: deadline)).error.code,
                       .gatewayOutcomeUnknown)
        XCTAssertNil(store.leases["2/V"])
        XCTAssertEqual(store.calls.last, "release")
    }

    func testATradeClosedBeforeItsCodeWasIssuedIsRecordedClosedAndReplaced() throws {
        // A Cancel closed the trade at Alipay while its code was being issued (the record stays INITIATED).
        store.failures["qrIssued"] = [.unavailable("lost")]
        _ = flow.issueQRCode(for: bill(), deadline: deadline)
        gateway.scan("TP1")
        _ = try gateway.close(.outTradeNo("TP1"), deadline: deadline)
        let record = try issued(bill())
        XCTAssertEqual(record.autoid, 2, "a new trade")
        XCTAssertEqual(self.record(1).status, .closed, "closed, never QR_FAILED")
    }

    func testTheUnknownOutcomeSaysWhy() throws {
        let cases: [(UnknownCause, String)] = [
            (.timeout, "did not answer in time"), (.httpStatus(502), "HTTP 502"),
            (.connection, "refused or reset"), (.gatewayBusy, "could not process"),
        ]
        for (index, (cause, text)) in cases.enumerated() {
            gateway.faults["precreate"] = [.outcomeUnknown(cause, reason: "x")]
            let failed = try failure(flow.issueQRCode(for: bill("U\(index)"), deadline: deadline))
            XCTAssertEqual(failed.error.code, .gatewayOutcomeUnknown)
            XCTAssertTrue(failed.error.message.contains(text), failed.error.message)
            XCTAssertFalse(cause != .timeout && failed.error.message.contains("timeout"), failed.error.message)
        }
    }
}
