import Foundation
import XCTest

/// The Alipay gateway fails under a concurrent ScanCode load — hangs past the responder's timeout, answers
/// 502, answers with a bad or missing signature, resets the connection — each with the operation applied at
/// Alipay and not. Afterwards the answers, records, trades and receipts must agree, and every unknown
/// outcome must be resolved by sending the bill again or by `threepay sweep`.
final class FaultGatewayTests: FaultTestCase {
    func testGatewayHangsPastTheTimeoutNotApplied() async throws { try await gatewayFault("hang", applied: false) }
    func testGatewayHangsPastTheTimeoutApplied() async throws { try await gatewayFault("hang", applied: true) }
    func testGatewayAnswers502NotApplied() async throws { try await gatewayFault("http502", applied: false) }
    func testGatewayAnswers502Applied() async throws { try await gatewayFault("http502", applied: true) }
    func testGatewayBadSignatureNotApplied() async throws { try await gatewayFault("bad_signature", applied: false) }
    func testGatewayBadSignatureApplied() async throws { try await gatewayFault("bad_signature", applied: true) }
    func testGatewayMissingSignatureNotApplied() async throws { try await gatewayFault("no_signature", applied: false) }
    func testGatewayMissingSignatureApplied() async throws { try await gatewayFault("no_signature", applied: true) }
    func testGatewayResetsTheConnectionNotApplied() async throws { try await gatewayFault("reset", applied: false) }
    func testGatewayResetsTheConnectionApplied() async throws { try await gatewayFault("reset", applied: true) }

    /// The errcode each fault must give: 3002 outcome unknown, 3003 signature not verifiable.
    private static let errcodes = ["hang": 3002, "http502": 3002, "reset": 3002, "bad_signature": 3003, "no_signature": 3003]
    private static let tags = ["hang": "h", "http502": "g", "reset": "r", "bad_signature": "b", "no_signature": "n"]

    private func gatewayFault(
        _ mode: String, applied: Bool, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let source = FaultBillSource(tag: Self.tags[mode]! + (applied ? "a" : "n"))
        var settings: [String: any Sendable] = ["mode": mode, "applied": applied]
        if mode == "hang" {
            // Four requests hang far longer than the responder's gateway timeout (15 s by default); the other
            // clients go on. The faults are reset only after every hung request got its answer: a reset
            // wakes the sandbox, which would then answer a request still waiting.
            settings["count"] = 4
            settings["hang_ms"] = 120_000
        } else {
            settings["failure_rate"] = 0.3
        }
        try await StackSandbox.run { [settings] in try $0.setFaults(settings) }
        let load = await FaultLoad.run(source, until: FaultStopSignal(answers: 300))
        try await StackSandbox.run { try $0.resetFaults() }

        var rules = FaultRules()
        rules.scanCodeErrcodes = [Self.errcodes[mode]!]
        rules.failedRecordStatuses = ["UNKNOWN"]
        rules.failedTradeExists = applied
        rules.expectFailures = true
        try await settle("gateway \(mode), \(applied ? "applied" : "not applied")", source, load, rules, file: file, line: line)
    }
}
