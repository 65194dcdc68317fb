import Foundation
import SandboxGateway
import XCTest

/// Fault injection around `/gateway.do`: which failure, how many times, and whether the book changed.
final class SandboxFaultTests: XCTestCase {
    private var sandbox: SandboxHarness!

    override func setUpWithError() throws {
        sandbox = try SandboxHarness()
    }

    func testHTTP502NotAppliedLeavesTheBookUnchanged() throws {
        try configure(#"{"mode":"http502","applied":false,"count":1}"#)
        let failed = try post(precreateParams("F1"))
        XCTAssertEqual(failed.status, 502)
        XCTAssertNil(sandbox.book.trade(outTradeNo: "F1", now: sandbox.clock.now))
        let next = try post(precreateParams("F1"))
        XCTAssertEqual(next.status, 200, "count 1 fails only one reply")
        XCTAssertNotNil(sandbox.book.trade(outTradeNo: "F1", now: sandbox.clock.now))
    }

    func testResetAppliedChangesTheBookAndAsksForABrokenReply() throws {
        try configure(#"{"mode":"reset","applied":true,"count":1}"#)
        let failed = try post(precreateParams("F2"))
        XCTAssertTrue(failed.breakConnection)
        XCTAssertNotNil(sandbox.book.trade(outTradeNo: "F2", now: sandbox.clock.now), "applied before the failure")
    }

    func testBadAndMissingSignatures() throws {
        try configure(#"{"mode":"bad_signature","applied":true,"count":1}"#)
        let corrupted = try answer(post(precreateParams("F3")))
        XCTAssertEqual(corrupted.code, "10000")
        XCTAssertNotNil(corrupted.sign)
        XCTAssertFalse(corrupted.signatureValid)
        XCTAssertNotNil(sandbox.book.trade(outTradeNo: "F3", now: sandbox.clock.now))

        try configure(#"{"mode":"no_signature","applied":false}"#)
        let unsigned = try answer(post(precreateParams("F4")))
        XCTAssertEqual(unsigned.code, "10000")
        XCTAssertNil(unsigned.sign)
        XCTAssertNil(sandbox.book.trade(outTradeNo: "F4", now: sandbox.clock.now), "not applied")
        XCTAssertNil(try answer(post(precreateParams("F5"))).sign, "no count: every reply fails")
    }

    func testHangSleepsThenAnswersAndResetWakesIt() throws {
        try configure(#"{"mode":"hang","applied":true,"count":2,"hang_ms":150}"#)
        var started = Date()
        XCTAssertEqual(try post(precreateParams("F6")).status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.14)

        try configure(#"{"mode":"hang","applied":true,"hang_ms":60000}"#)
        let faults = sandbox.faults
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { faults.reset() }
        started = Date()
        XCTAssertEqual(try post(precreateParams("F7")).status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a reset ends the hang")
    }

    func testLatencyIsAddedToEveryReply() throws {
        try configure(#"{"latency_ms":80}"#)
        let started = Date()
        XCTAssertEqual(try post(precreateParams("F8")).status, 200)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.075)
    }

    func testFailureRateDrawsPerReply() {
        var settings = FaultSettings(hangMilliseconds: 0)
        settings.mode = .http502
        settings.failureRate = 0.5
        settings.count = 1
        sandbox.faults.configure(settings)
        XCTAssertNil(sandbox.faults.nextDecision(random: { 0.9 }).failure)
        XCTAssertEqual(sandbox.faults.nextDecision(random: { 0.1 }).failure, .http502)
        XCTAssertNil(sandbox.faults.nextDecision(random: { 0.1 }).failure, "the count is used up")
    }

    func testFaultSettingsAreValidated() {
        let control = sandbox.control()
        for body in [#"{"mode":"explode"}"#, #"{"latency_ms":-1}"#, #"{"failure_rate":2}"#, #"{"applied":"yes"}"#,
                     #"{"surprise":1}"#, #"[]"#] {
            let reply = control.handle(SandboxRequest(method: "POST", path: "/sandbox/faults",
                                                      contentType: "application/json", body: Array(body.utf8)))
            XCTAssertEqual(reply.status, 400, body)
        }
        XCTAssertEqual(sandbox.faults.settings.mode, .none)
    }

    // MARK: Helpers

    private func configure(_ json: String) throws {
        let reply = sandbox.control().handle(SandboxRequest(
            method: "POST", path: "/sandbox/faults", contentType: "application/json", body: Array(json.utf8)))
        XCTAssertEqual(reply.status, 200, String(decoding: reply.body, as: UTF8.self))
    }

    private func precreateParams(_ outTradeNo: String) throws -> [String: String] {
        try sandbox.signedParams("alipay.trade.precreate",
                                 #"{"out_trade_no":"\#(outTradeNo)","total_amount":"1.00","subject":"s"}"#)
    }

    private func post(_ params: [String: String]) throws -> SandboxReply {
        sandbox.endpoint.handle(SandboxRequest(
            method: "POST", path: "/gateway.do", contentType: "application/x-www-form-urlencoded",
            body: Array(FormDecoding.encode(params.map { ($0.key, $0.value) }).utf8)))
    }

    private func answer(_ reply: SandboxReply) throws -> SandboxAnswer {
        try SandboxAnswer(reply.body, method: "alipay.trade.precreate", alipayPublicKey: sandbox.keys.alipay.publicKey)
    }
}
