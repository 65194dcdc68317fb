import Foundation
import XCTest

/// What a fault case allows while the fault is on.
struct FaultRules {
    /// Non-zero errcodes ScanCode may answer.
    var scanCodeErrcodes: Set<Int> = []
    /// Non-zero errcodes Query may answer.
    var queryErrcodes: Set<Int> = []
    /// nginx may answer with its own 502 page (the responder is down).
    var nginxBadGateway = false
    /// Statuses the record of a bill whose ScanCode failed may be in.
    var failedRecordStatuses: Set<String> = ["UNKNOWN"]
    /// A failed ScanCode may have left no record at all (the database was down before Begin).
    var failedMayHaveNoRecord = false
    /// Whether the sandbox holds the trade of a failed ScanCode (the operation applied or not); nil: either.
    var failedTradeExists: Bool?
    /// At least one ScanCode must have failed (the fault really happened).
    var expectFailures = false
}

/// The checks that tie answers, records, trades, receipts, card credits and callbacks together. Each
/// broken rule adds a line to `violations`; `assertNone` fails the test with all of them.
struct FaultReconciliation {
    static let payable: Set<String> = ["INITIATED", "QR_ISSUED", "UNKNOWN"]
    static let live: Set<String> = payable.union(["PAID"])

    private(set) var violations: [String] = []

    private mutating func fail(_ text: String) { violations.append(text) }

    /// Every answer is OK or one the fault allows.
    mutating func checkAnswers(_ load: FaultLoadResult, _ rules: FaultRules) {
        for answer in load.scanCodes where answer.errcode != 0 {
            if !allowed(answer, rules.scanCodeErrcodes, rules) { fail("ScanCode answer not allowed: \(answer)") }
        }
        for answer in load.queries where answer.errcode != 0 {
            if !allowed(answer, rules.queryErrcodes, rules) { fail("Query answer not allowed: \(answer)") }
        }
        for answer in load.queries where answer.errcode == 0 && answer.tag["status"] != "waiting" {
            fail("Query of a fresh bill says \(answer.tag["status"] ?? "nil"): \(answer)")
        }
        for payment in load.payments where !payment.accepted {
            fail("the sandbox refused to pay \(payment.issued.outTradeNo): \(payment.detail)")
        }
        if rules.expectFailures && !load.scanCodes.contains(where: { $0.errcode != 0 }) {
            fail("no ScanCode failed: the fault did not happen")
        }
        if !load.scanCodes.contains(where: { $0.errcode == 0 }) { fail("no ScanCode succeeded at all") }
    }

    private func allowed(_ answer: FaultAnswer, _ errcodes: Set<Int>, _ rules: FaultRules) -> Bool {
        if let errcode = answer.errcode { return errcodes.contains(errcode) }
        return rules.nginxBadGateway && answer.httpStatus == 502
    }

    /// Every errcode-0 ScanCode answer has its record (same autoid, bill and code URL, payable or paid)
    /// and the sandbox's trade with that QR code and amount.
    mutating func checkIssued(_ answers: [FaultAnswer], _ snapshot: FaultSnapshot) {
        let byAutoid = snapshot.recordsByAutoid
        for answer in answers where answer.errcode == 0 {
            guard let autoid = answer.autoid, let codeurl = answer.codeurl else {
                fail("errcode 0 without autoid or codeurl: \(answer)")
                continue
            }
            guard let record = byAutoid[autoid] else {
                fail("errcode 0 for \(answer.bill) but no record \(autoid)")
                continue
            }
            if record.billnum != answer.bill.billnum || record.billtype != answer.bill.billtype {
                fail("record \(autoid) belongs to \(record.billtype)/\(record.billnum), answered for \(answer.bill)")
            }
            if record.amount != answer.bill.amount { fail("record \(autoid) amount \(record.amount) ≠ bill \(answer.bill)") }
            if record.codeurl != codeurl { fail("record \(autoid) code URL differs from the answer's") }
            if !["QR_ISSUED", "PAID"].contains(record.status) {
                fail("record \(autoid) of an errcode-0 answer is \(record.status)")
            }
            guard let trade = snapshot.trades[record.outTradeNo] else {
                fail("errcode 0 for \(answer.bill) but the sandbox has no trade \(record.outTradeNo)")
                continue
            }
            if trade.qrCode != codeurl { fail("trade \(trade.outTradeNo) QR code differs from the answer's") }
            if trade.amount != answer.bill.amount { fail("trade \(trade.outTradeNo) amount \(trade.amount) ≠ \(answer.bill)") }
        }
    }

    /// A failed ScanCode left a record the rules allow (or none), with or without the sandbox's trade.
    mutating func checkFailed(_ answers: [FaultAnswer], _ snapshot: FaultSnapshot, _ rules: FaultRules) {
        for answer in answers where answer.errcode != 0 {
            let records = snapshot.records(of: answer.bill)
            guard let record = records.last else {
                if !rules.failedMayHaveNoRecord { fail("failed ScanCode left no record: \(answer)") }
                continue
            }
            if records.count > 1 { fail("one failed ScanCode made \(records.count) records: \(answer)") }
            if let autoid = answer.autoid, autoid != record.autoid {
                fail("answer names record \(autoid), the bill's record is \(record.autoid): \(answer)")
            }
            if !rules.failedRecordStatuses.contains(record.status) {
                fail("record \(record.autoid) of a failed ScanCode is \(record.status): \(answer)")
            }
            if record.status != "QR_ISSUED" && record.codeurl != nil {
                fail("record \(record.autoid) is \(record.status) but has a code URL")
            }
            if let expected = rules.failedTradeExists, (snapshot.trades[record.outTradeNo] != nil) != expected {
                fail("sandbox trade \(record.outTradeNo) \(expected ? "missing (applied)" : "exists (not applied)"): \(answer)")
            }
        }
    }

    /// The books agree: at most one live record and one open trade per bill, no trade without a record,
    /// a record is PAID exactly when its trade is paid (once `settled`), and a paid record has exactly one
    /// receipt in its billtype's table, one card credit for billtype 7, one callback; nothing else has any.
    mutating func checkBooks(_ bills: Set<FaultBill>, _ snapshot: FaultSnapshot, settled: Bool) {
        var tradesPerBill: [String: Int] = [:]
        for bill in bills {
            let live = snapshot.records(of: bill).filter { Self.live.contains($0.status) }
            if live.count > 1 { fail("bill \(bill) has \(live.count) live records: \(live.map(\.autoid))") }
        }
        let byTrade = snapshot.recordsByTrade
        for trade in snapshot.trades.values {
            guard let record = byTrade[trade.outTradeNo] else {
                fail("sandbox trade \(trade.outTradeNo) (\(trade.status)) has no record")
                continue
            }
            if trade.amount != record.amount { fail("trade \(trade.outTradeNo) amount \(trade.amount) ≠ record \(record.amount)") }
            if trade.status != "TRADE_CLOSED" { tradesPerBill[record.billtype + "/" + record.billnum, default: 0] += 1 }
        }
        for (bill, count) in tradesPerBill where count > 1 { fail("bill \(bill) has \(count) payable trades") }

        let receipts = Dictionary(grouping: snapshot.receipts, by: \.autoid)
        let credits = Dictionary(grouping: snapshot.credits, by: \.autoid)
        for record in snapshot.records {
            let trade = snapshot.trades[record.outTradeNo]
            let paidAtAlipay = trade?.status == "TRADE_SUCCESS"
            if record.status == "PAID" {
                if !paidAtAlipay { fail("record \(record.autoid) is PAID, the sandbox trade is \(trade?.status ?? "missing")") }
                if record.tradeNo == nil || record.tradeNo != trade?.tradeNo { fail("record \(record.autoid) trade_no differs from the sandbox's") }
                if record.paidAmount != record.amount { fail("record \(record.autoid) paid \(record.paidAmount ?? "nil") of \(record.amount)") }
                let own = receipts[record.autoid] ?? []
                if own.count != 1 || own.first?.table != record.billtype || own.first?.amount != record.amount {
                    fail("paid record \(record.autoid) (billtype \(record.billtype)) has receipts \(own.map { "\($0.table):\($0.amount)" })")
                }
                let credited = credits[record.autoid] ?? []
                if record.billtype == "7" {
                    if credited.count != 1 || credited.first?.amount != record.amount || credited.first?.cardno != record.cardno {
                        fail("paid card top-up \(record.autoid) has credits \(credited.map { "\($0.cardno):\($0.amount)" })")
                    }
                } else if !credited.isEmpty {
                    fail("paid record \(record.autoid) of billtype \(record.billtype) credited a card")
                }
                if snapshot.outbox[record.autoid] == nil { fail("paid record \(record.autoid) has no callback in the outbox") }
            } else {
                if settled && paidAtAlipay { fail("trade \(record.outTradeNo) is paid at the sandbox, record \(record.autoid) is \(record.status)") }
                if receipts[record.autoid] != nil { fail("unpaid record \(record.autoid) (\(record.status)) has a receipt") }
                if credits[record.autoid] != nil { fail("unpaid record \(record.autoid) (\(record.status)) credited a card") }
                if snapshot.outbox[record.autoid] != nil { fail("unpaid record \(record.autoid) (\(record.status)) has a callback") }
            }
        }
        let creditsPerCard = Dictionary(grouping: snapshot.credits, by: \.cardno)
        for (cardno, balance) in snapshot.cards {
            let sum = (creditsPerCard[cardno] ?? []).compactMap { Decimal(string: $0.amount) }.reduce(0, +)
            if Decimal(string: balance) != sum { fail("card \(cardno) balance \(balance) ≠ its credits \(sum)") }
        }
    }

    /// After the resolution: no outcome is left unknown, every accepted payment is recorded, and every
    /// paid record's callback was delivered to the sink.
    mutating func checkSettled(_ snapshot: FaultSnapshot, payments: [FaultPayment]) {
        for record in snapshot.records where record.status == "UNKNOWN" || record.status == "INITIATED" {
            fail("record \(record.autoid) of \(record.billtype)/\(record.billnum) is still \(record.status)")
        }
        let byAutoid = snapshot.recordsByAutoid
        for payment in payments where payment.accepted {
            let status = byAutoid[payment.issued.autoid]?.status ?? "missing"
            if status != "PAID" { fail("payment of \(payment.issued.outTradeNo) not recorded: record is \(status)") }
        }
        for record in snapshot.records where record.status == "PAID" {
            let callback = snapshot.outbox[record.autoid]
            if callback?.status != "DELIVERED" {
                fail("callback of paid record \(record.autoid) is \(callback?.status ?? "missing") (attempts \(callback?.attempts ?? 0))")
            }
            if (snapshot.delivered[record.autoid] ?? 0) < 1 { fail("the sink received no callback for paid record \(record.autoid)") }
        }
    }

    /// Bills resolved by the sweep: closed (or paid, if the buyer paid), their trade closed too.
    mutating func checkSwept(_ bills: [FaultBill], _ snapshot: FaultSnapshot) {
        for bill in bills {
            for record in snapshot.records(of: bill) {
                if !["CLOSED", "PAID"].contains(record.status) {
                    fail("swept record \(record.autoid) of \(bill) is \(record.status)")
                }
                if record.status == "CLOSED", let trade = snapshot.trades[record.outTradeNo], trade.status != "TRADE_CLOSED" {
                    fail("swept record \(record.autoid) is CLOSED but its trade is \(trade.status)")
                }
            }
        }
    }

    mutating func add(_ violation: String) { fail(violation) }

    /// Fails the test with every violation found (the first 25 listed).
    func assertNone(_ label: String, file: StaticString = #filePath, line: UInt = #line) {
        guard !violations.isEmpty else { return }
        let shown = violations.prefix(25).joined(separator: "\n  ")
        XCTFail("\(label): \(violations.count) reconciliation failure(s):\n  \(shown)", file: file, line: line)
    }
}
