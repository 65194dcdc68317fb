import Alipay
import PaymentFlow
import PaymentModel
import XCTest

final class IssueQRCodeTests: FlowTestCase {
    func testANewBillGetsATradeAndItsCode() throws {
        let record = try issued(bill())
        XCTAssertEqual(record.status, .qrIssued)
        XCTAssertEqual(record.codeurl, "https://qr.alipay.com/baxTP1")
        XCTAssertEqual(record.clientip, "202.96.128.68", "the default client IP is recorded")
        XCTAssertEqual(store.calls, ["begin", "qrIssued"])
        XCTAssertEqual(gateway.calls, ["precreate TP1"])
    }

    func testTheSameBillAgainGetsTheSameCodeWithoutCallingAlipay() throws {
        let first = try issued(bill())
        let again = try issued(bill())
        XCTAssertEqual(again.autoid, first.autoid)
        XCTAssertEqual(again.codeurl, first.codeurl)
        XCTAssertEqual(gateway.calls, ["precreate TP1"])
    }

    func testATimeoutLeavesTheOutcomeUnknownAndTheRetryUsesTheSameTrade() throws {
        gateway.faults["precreate"] = [.outcomeUnknown(.timeout, reason: "precreate: timeout")]
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .gatewayOutcomeUnknown)
        XCTAssertEqual(record(1).status, .unknown)
        let retried = try issued(bill())
        XCTAssertEqual(retried.autoid, 1)
        XCTAssertEqual(gateway.calls, ["precreate TP1", "precreate TP1"])
    }

    func testAnUnverifiableAnswerIsUnknownToo() throws {
        gateway.faults["precreate"] = [.invalidSignature]
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill(), deadline: deadline)).error.code, .gatewaySignatureInvalid)
        XCTAssertEqual(record(1).status, .unknown)
        gateway.faults["precreate"] = [.malformedResponse("no node")]
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill(), deadline: deadline)).error.code, .gatewayAnswerMalformed)
        XCTAssertEqual(record(1).status, .unknown)
    }

    func testASignedRefusalSpendsTheTradeNumberAndTheNextAttemptStartsANewOne() throws {
        gateway.faults["precreate"] = [ScriptedGateway.refusal("ACQ.ACCESS_FORBIDDEN")]
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .gatewayRefused)
        XCTAssertTrue(failed.error.message.contains("ACQ.ACCESS_FORBIDDEN"), failed.error.message)
        XCTAssertEqual(record(1).status, .qrFailed)
        let next = try issued(bill())
        XCTAssertEqual(next.autoid, 2)
        XCTAssertEqual(gateway.calls, ["precreate TP1", "precreate TP2"])
    }

    func testAnUnsignedRefusalProvesNothingAndKeepsTheTradePayable() throws {
        gateway.faults["precreate"] = [.unsignedBusiness(code: "40002", msg: "Invalid Arguments",
                                                         subCode: "isv.invalid-signature", subMsg: nil)]
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .gatewayRefused)
        XCTAssertEqual(record(1).status, .unknown, "not QR_FAILED: an unsigned answer proves nothing")
        XCTAssertEqual(try issued(bill()).autoid, 1, "the retry precreates the same trade")
    }

    func testABillPaidMeanwhileIsRecordedOnceAndAnswered2001() throws {
        let first = try issued(bill())
        gateway.pay(first.outTradeNo)
        // The QR code's validity is over, so Begin asks for the old trade to be voided first.
        store.clock = store.clock.addingTimeInterval(901)
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .alreadyPaid)
        XCTAssertEqual(record(1).status, .paid)
        XCTAssertEqual(record(1).paidSource, .query)
        XCTAssertEqual(store.receipts, [1], "one receipt")
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill(), deadline: deadline)).error.code, .alreadyPaid)
        XCTAssertEqual(store.receipts, [1], "still one receipt")
    }

    func testPrecreateAnsweringPaidRecordsThePaymentFromAQuery() throws {
        // The code was issued at Alipay but not recorded; the buyer paid it; the bill is sent again.
        store.failures["qrIssued"] = [.unavailable("connection lost")]
        _ = flow.issueQRCode(for: bill(), deadline: deadline)
        gateway.pay("TP1")
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .alreadyPaid)
        XCTAssertEqual(record(1).status, .paid)
        XCTAssertEqual(gateway.calls.suffix(2), ["precreate TP1", "query TP1"])
    }

    func testAChangedAmountVoidsTheOldTradeBeforeANewOne() throws {
        let old = try issued(bill(amount: "7.00"))
        let new = try issued(bill(amount: "8.00"))
        XCTAssertNotEqual(new.autoid, old.autoid)
        XCTAssertEqual(record(old.autoid).status, .closed)
        XCTAssertEqual(new.paymentvalue, Money(exactly: "8.00"))
        XCTAssertEqual(gateway.calls, ["precreate TP1", "close TP1", "cancel TP1", "precreate TP2"],
                       "never scanned: close cannot act, so the old trade is cancelled")
        XCTAssertEqual(gateway.trades["TP1"]?.state, .closed)
    }

    func testAnOldTradeAlipayWillNotVoidBlocksTheNewOne() throws {
        _ = try issued(bill(amount: "7.00"))
        gateway.faults["close"] = [.outcomeUnknown(.httpStatus(502), reason: "close: HTTP 502")]
        let failed = try failure(flow.issueQRCode(for: bill(amount: "8.00"), deadline: deadline))
        XCTAssertEqual(failed.error.code, .gatewayOutcomeUnknown)
        XCTAssertEqual(record(1).status, .qrIssued, "the old code stays the bill's one payable code")
        XCTAssertNil(store.records[2], "no second trade")
    }

    func testADeadlockThatOutlivesItsRetriesAnswers4001() throws {
        store.failures["begin"] = [.unavailable("MariaDB: transaction conflict, retryable (1213)")]
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: deadline))
        XCTAssertEqual(failed.error.code, .databaseUnavailable)
        XCTAssertTrue(gateway.calls.isEmpty, "nothing reaches Alipay without a record")
    }

    func testAStoreFailureAfterPrecreateAnswers4001AndTheRetryHandsOutTheCode() throws {
        store.failures["qrIssued"] = [.unavailable("connection lost")]
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill(), deadline: deadline)).error.code, .databaseUnavailable)
        XCTAssertEqual(record(1).status, .initiated)
        let retried = try issued(bill())
        XCTAssertEqual(retried.autoid, 1)
        XCTAssertEqual(retried.codeurl, "https://qr.alipay.com/baxTP1")
    }

    func testAPaidBillIsRefusedBeforeAlipay() throws {
        _ = try issued(bill())
        gateway.pay("TP1")
        XCTAssertEqual(try store.recordPaid(
            ConfirmedPayment(outTradeNo: "TP1", tradeNo: "2026TP1", totalAmount: Money(fen: 700), paidAt: nil,
                             buyerID: nil, source: .notify), deadline: deadline), true)
        let calls = gateway.calls.count
        XCTAssertEqual(try failure(flow.issueQRCode(for: bill(), deadline: deadline)).error.code, .alreadyPaid)
        XCTAssertEqual(gateway.calls.count, calls)
    }

    func testAPassedDeadlineReachesNeitherStoreWriteNorAlipay() throws {
        let failed = try failure(flow.issueQRCode(for: bill(), deadline: .after(milliseconds: 0)))
        XCTAssertEqual(failed.error.code, .databaseUnavailable)
        XCTAssertTrue(gateway.calls.isEmpty)
        XCTAssertTrue(store.records.isEmpty)
    }
}
