import Foundation
import SandboxGateway
import TestSupport
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
        // A short hang ends by itself: the reply comes with no reset, and the fault budget shows it was a hang.
        try configure(#"{"mode":"hang","applied":true,"count":2,"hang_ms":150}"#)
        XCTAssertEqual(try post(precreateParams("F6")).status, 200)
        XCTAssertEqual(sandbox.faults.settings.count, 1, "the reply drew the hang")
        XCTAssertEqual(sandbox.faults.settings.mode, .hang, "nothing reset the faults meanwhile")
        XCTAssertNotNil(sandbox.book.trade(outTradeNo: "F6", now: sandbox.clock.now), "applied before the hang")

        // A hang far longer than the test holds the reply until a reset wakes it.
        try configure(#"{"mode":"hang","applied":true,"hang_ms":3600000}"#)
        let held = try inBackground(precreateParams("F7"))
        // The sandbox has the request once the trade is booked (applied, so before the hang).
        try Poll.until("F7 booked", seconds: 30) { sandbox.book.trade(outTradeNo: "F7", now: sandbox.clock.now) != nil }
        XCTAssertFalse(held.isFinished, "the hang holds the reply")
        try resetFaults(until: held)
        XCTAssertEqual(try held.value("F7 answered", seconds: 30).status, 200)
    }

    func testLatencyIsAddedToEveryReply() throws {
        // A latency far longer than the test, and a fault budget of one to show when the reply has arrived:
        // the decision is drawn before the latency, the answer made after it.
        try configure(#"{"latency_ms":600000,"mode":"bad_signature","applied":true,"count":1}"#)
        let delayed = try inBackground(precreateParams("F8"))
        try Poll.until("F8 drawing its fault", seconds: 30) { sandbox.faults.settings.count == 0 }
        XCTAssertFalse(delayed.isFinished, "the latency holds the reply")
        XCTAssertNil(sandbox.book.trade(outTradeNo: "F8", now: sandbox.clock.now), "nothing is done before the latency")
        try resetFaults(until: delayed)
        let reply = try delayed.value("F8 answered", seconds: 30)
        XCTAssertEqual(reply.status, 200)
        XCTAssertFalse(try answer(reply).signatureValid, "the fault drawn on arrival still applies")
        XCTAssertNotNil(sandbox.book.trade(outTradeNo: "F8", now: sandbox.clock.now), "done after the latency")
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
        sandbox.endpoint.handle(request(params))
    }

    /// Posts on a thread of its own, so that the test can watch the sandbox hold the reply.
    private func inBackground(_ params: [String: String]) throws -> Background<SandboxReply> {
        let (endpoint, request) = (sandbox.endpoint, request(params))
        return Background { endpoint.handle(request) }
    }

    /// Resets the faults until `reply` has come. A reply that drew its fault just before one reset starts its
    /// pause just after it, and then only the next reset wakes it.
    private func resetFaults(until reply: Background<SandboxReply>) throws {
        try Poll.until("the held reply answered after a reset", seconds: 30) {
            sandbox.faults.reset()
            return reply.isFinished
        }
    }

    private func request(_ params: [String: String]) -> SandboxRequest {
        SandboxRequest(
            method: "POST", path: "/gateway.do", contentType: "application/x-www-form-urlencoded",
            body: Array(FormDecoding.encode(params.map { ($0.key, $0.value) }).utf8))
    }

    private func answer(_ reply: SandboxReply) throws -> SandboxAnswer {
        try SandboxAnswer(reply.body, method: "alipay.trade.precreate", alipayPublicKey: sandbox.keys.alipay.publicKey)
    }
}
