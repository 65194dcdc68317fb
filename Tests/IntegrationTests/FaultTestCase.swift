import Foundation
import TestSupport
import XCTest

/// Shared by the fault tests: the stack is healthy and free of gateway faults before each test and is put
/// back after it, also when the test fails; `settle` reconciles a case after its fault.
class FaultTestCase: XCTestCase {
    override func setUp() async throws {
        try await super.setUp()
        try await FaultStack.repair()
    }

    override func tearDown() async throws {
        // The tests after this one need the stack whole, whatever happened here.
        do { try await FaultStack.repair() } catch { XCTFail("the stack could not be put back: \(error)") }
        try await super.tearDown()
    }

    /// After a fault: checks the answers and the books as the fault left them, waits for the payments to be
    /// recorded, resolves the failed bills that left a record (about half by sending them again, up to 16 by
    /// `threepay sweep` on records aged past their validity) and sends a sample of the others again, waits
    /// for the callbacks, and checks everything again.
    func settle(
        _ label: String, _ source: FaultBillSource, _ load: FaultLoadResult, _ rules: FaultRules,
        extraPayments: [FaultPayment] = [], file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        var check = FaultReconciliation()
        check.checkAnswers(load, rules)
        let ledger = try FaultLedger()
        let settleStarted = try ledger.now()
        let first = try await ledger.snapshot(source)
        let bills = Set(load.scanCodes.map(\.bill))
        check.checkIssued(load.scanCodes, first)
        check.checkFailed(load.scanCodes, first, rules)
        check.checkBooks(bills, first, settled: false)

        let payments = load.payments + extraPayments
        for payment in extraPayments where !payment.accepted {
            check.add("the sandbox refused to pay \(payment.issued.outTradeNo): \(payment.detail)")
        }
        let paid = Set(payments.filter(\.accepted).map(\.issued.autoid))
        // Alipay resends a notification it could not deliver after 1, 2, 4, 8 and 16 s.
        try? await Poll.eventually("payments recorded", seconds: 45, every: 0.25) {
            let statuses = try ledger.statuses(source)
            return paid.allSatisfy { statuses[$0] == "PAID" }
        }

        // Resolution of the bills whose ScanCode failed. A bill with a payable record is resolved either
        // by sending it again (every other one) or by the sweep (the others, at most 16: each costs the
        // sweep two gateway calls); of the bills that left no record a sample is sent again.
        var seen = Set<FaultBill>()
        let failed = load.scanCodes.filter { $0.errcode != 0 }.map(\.bill).filter { seen.insert($0).inserted }
        var swept: [FaultBill] = []
        var resent: [FaultBill] = []
        var unrecorded = 0
        var recordedResent = 0
        for bill in failed {
            if first.records(of: bill).contains(where: { FaultReconciliation.payable.contains($0.status) }) {
                if swept.count < 16 && swept.count <= recordedResent {
                    swept.append(bill)
                } else {
                    resent.append(bill)
                    recordedResent += 1
                }
            } else {
                unrecorded += 1
                if unrecorded <= 20 { resent.append(bill) }
            }
        }
        let resentAnswers = await FaultLoad.resend(resent)
        for answer in resentAnswers {
            guard answer.errcode == 0 else {
                check.add("a failed bill sent again did not resolve: \(answer)")
                continue
            }
            let before = first.records(of: answer.bill).last { FaultReconciliation.payable.contains($0.status) }
            if let before {
                if answer.autoid != before.autoid {
                    check.add("\(answer.bill) sent again got record \(answer.autoid ?? -1), not its record \(before.autoid)")
                }
                if let trade = first.trades[before.outTradeNo], trade.status != "TRADE_CLOSED", answer.codeurl != trade.qrCode {
                    check.add("\(answer.bill) sent again got another QR code than the trade \(trade.outTradeNo) Alipay kept")
                }
            }
        }
        let aged = first.records.filter { record in
            FaultReconciliation.payable.contains(record.status)
                && swept.contains { $0.billnum == record.billnum && $0.billtype == record.billtype }
        }.map(\.autoid)
        var sweepPasses = 0
        if !aged.isEmpty {
            try ledger.database.age(aged)
            while sweepPasses < 3 {
                sweepPasses += 1
                let outcome = try LifecycleProcesses.sweep()
                if outcome.status != 0 { check.add("threepay sweep exited \(outcome.status): \(outcome.output.suffix(400))") }
                let statuses = try ledger.statuses(source)
                if !aged.contains(where: { FaultReconciliation.payable.contains(statuses[$0] ?? "") }) { break }
            }
        }

        // Callbacks. The service delivers them from its outbox a few per second; a delivery the fault
        // interrupted waits for its lease (120 s) or back-off. Those still pending from before the settling
        // began are let fall due now; a delivery claimed since is left to finish.
        let madeDue = try ledger.makeStuckCallbacksDue(source, before: settleStarted)
        try? await Poll.eventually("callbacks delivered", seconds: 45, every: 0.25) {
            let callbacks = try ledger.callbacks(source)
            return try ledger.statuses(source).filter { $0.value == "PAID" }.keys.allSatisfy { callbacks[$0]?.status == "DELIVERED" }
        }

        let final = try await ledger.snapshot(source)
        check.checkIssued(load.scanCodes + resentAnswers, final)
        check.checkBooks(bills, final, settled: true)
        check.checkSwept(swept, final)
        check.checkSettled(final, payments: payments)

        let failures = Dictionary(grouping: load.scanCodes.filter { $0.errcode != 0 }) { answer in
            answer.errcode.map { "errcode \($0)" } ?? "HTTP \(answer.httpStatus.map(String.init) ?? "none")"
        }.map { "\($0.key)×\($0.value.count)" }.sorted().joined(separator: " ")
        let duplicates = final.delivered.values.filter { $0 > 1 }.count
        let paidRecords = final.records.filter { $0.status == "PAID" }.count
        print(
            "[fault] \(label): \(String(format: "%.1f", load.seconds)) s, \(load.requestCount) requests "
                + "(ScanCode \(load.scanCodes.count), Query \(load.queries.count), pay \(payments.count)); "
                + "ScanCode ok \(load.scanCodes.filter { $0.errcode == 0 }.count), failed [\(failures)]; "
                + "failed bills with a record \(failed.count - unrecorded), without \(unrecorded); "
                + "resolved: resent \(resent.count), swept \(aged.count) in \(sweepPasses) pass(es); "
                + "paid \(paidRecords), callbacks made due early \(madeDue), sink duplicates \(duplicates); "
                + "violations \(check.violations.count)")
        check.assertNone(label, file: file, line: line)
    }
}
