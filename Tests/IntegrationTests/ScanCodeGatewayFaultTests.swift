import Foundation
import XCTest

/// What the ScanCode endpoint answers and records when the Alipay gateway (the sandbox) fails, and
/// how a retry of the same bill resolves it. Faults are reset in tearDown, also after a failure.
final class ScanCodeGatewayFaultTests: ScanCodeTestCase {
    /// Far longer than the responder's THREEPAY_ALIPAY_TIMEOUT and the test itself: only a fault reset ends it.
    static let hangMilliseconds = 3_600_000

    /// Sends a fresh bill under `fault`, expects `errcode` and an UNKNOWN record; returns the bill and record.
    private func failUnder(
        _ fault: [String: any Sendable], errcode: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws -> (bill: ScanCodeBill, record: StackDatabase.Record) {
        let billnum = ScanCodeBillNumbers.next("gw")
        let bill = ScanCodeBill.valid(billnum, amount: "33.30")
        try sandbox.setFaults(fault)
        let (reply, answer) = try send(bill, file: file, line: line)
        XCTAssertEqual(reply.status, 200, file: file, line: line)
        XCTAssertEqual(answer.errcode, errcode, "errmsg: \(answer.errmsg ?? "nil")", file: file, line: line)
        XCTAssertNil(answer.codeurl, file: file, line: line)
        let records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 1, "\(records)", file: file, line: line)
        let record = try XCTUnwrap(records.first, file: file, line: line)
        XCTAssertEqual(record.status, "UNKNOWN", file: file, line: line)
        XCTAssertNil(record.codeurl, file: file, line: line)
        XCTAssertEqual(answer.autoid, record.autoid, file: file, line: line)
        return (bill, record)
    }

    /// With the fault cleared, the same bill resolves to errcode 0 on the same record and out_trade_no.
    private func assertRetryResolves(
        _ bill: ScanCodeBill, _ before: StackDatabase.Record, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try sandbox.resetFaults()
        let (_, answer) = try send(bill, file: file, line: line)
        let billnum = try XCTUnwrap(bill.text("billnum"))
        let after = try assertIssued(answer, billnum: billnum, file: file, line: line)
        XCTAssertEqual(after.autoid, before.autoid, file: file, line: line)
        XCTAssertEqual(after.outTradeNo, before.outTradeNo, file: file, line: line)
    }

    func testGatewayTimeoutGives3002AndARetryResolvesTheSameTrade() throws {
        // No `count`: the service's background sweep may call the gateway too and must not use up the fault.
        let (bill, record) = try failUnder(["mode": "hang", "hang_ms": Self.hangMilliseconds], errcode: 3002)
        // Only a reset ends the hang, and none has come yet: the responder's own timeout ended its wait.
        XCTAssertEqual(try sandbox.faults()["mode"], "hang", "the answer came while the sandbox still held the precreate")
        try assertRetryResolves(bill, record)
    }

    func testBadGatewaySignatureGives3003AndAnUnknownRecord() throws {
        let (bill, record) = try failUnder(["mode": "bad_signature"], errcode: 3003)
        try assertRetryResolves(bill, record)
    }

    func testMissingGatewaySignatureGives3003() throws {
        let (bill, record) = try failUnder(["mode": "no_signature"], errcode: 3003)
        try assertRetryResolves(bill, record)
    }

    func testHTTP502Gives3002() throws {
        let (bill, record) = try failUnder(["mode": "http502"], errcode: 3002)
        try assertRetryResolves(bill, record)
    }

    func testBrokenUpstreamGives3002() throws {
        let (bill, record) = try failUnder(["mode": "reset"], errcode: 3002)
        try assertRetryResolves(bill, record)
    }

    /// A changed amount while the gateway is down: the old trade cannot be voided, so nothing new is
    /// issued and the old record stays as it was; once the gateway is back the change goes through.
    func testChangedAmountWhileTheGatewayFailsKeepsTheOldTrade() throws {
        let billnum = ScanCodeBillNumbers.next("gwc")
        let old = try assertIssued(try send(ScanCodeBill.valid(billnum, amount: "5.00")).envelope, billnum: billnum)
        try sandbox.setFaults(["mode": "http502"])
        let refused = try send(ScanCodeBill.valid(billnum, amount: "6.00")).envelope
        XCTAssertNotEqual(refused.errcode, 0)
        XCTAssertNil(refused.codeurl)
        var records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 1, "\(records)")
        XCTAssertEqual(records.first?.status, "QR_ISSUED")
        XCTAssertEqual(records.first?.paymentvalue, "5.00")
        XCTAssertEqual(try sandbox.trade(try XCTUnwrap(old.outTradeNo))?["status"], "CREATED")

        try sandbox.resetFaults()
        let changed = try send(ScanCodeBill.valid(billnum, amount: "6.00")).envelope
        XCTAssertEqual(changed.errcode, 0, changed.errmsg ?? "")
        records = try database.records(billnum: billnum)
        XCTAssertEqual(records.map(\.status), ["CLOSED", "QR_ISSUED"])
        XCTAssertEqual(records.last?.paymentvalue, "6.00")
        XCTAssertEqual(try sandbox.trade(try XCTUnwrap(old.outTradeNo))?["status"], "TRADE_CLOSED")
    }

    /// The gateway created the trade but its answer was lost: the retry precreates the same
    /// out_trade_no again and gets that trade's QR code.
    func testAppliedFailureIsResolvedOnTheTradeTheGatewayKept() throws {
        let (bill, record) = try failUnder(["mode": "bad_signature", "applied": true], errcode: 3003)
        let outTradeNo = try XCTUnwrap(record.outTradeNo)
        let kept = try XCTUnwrap(try sandbox.trade(outTradeNo), "applied: the sandbox should hold the trade")
        try assertRetryResolves(bill, record)
        let after = try XCTUnwrap(try database.records(billnum: try XCTUnwrap(bill.text("billnum"))).first)
        XCTAssertEqual(after.codeurl, kept["qr_code"])
    }
}
