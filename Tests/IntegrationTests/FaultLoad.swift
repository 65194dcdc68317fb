import CurlClient
import Foundation
import Synchronization
import TestSupport

/// A bill the fault tests send: a number no other run uses, billtypes 1–7 in turn (7 with a card of its
/// own), an exact amount, and a body naming the run, which the sandbox keeps as the trade's subject so the
/// run's trades can be told apart from every other test's.
struct FaultBill: Sendable, Hashable, CustomStringConvertible {
    let billnum: String
    let billtype: String
    let amount: String
    let cardno: String?
    let body: String

    var json: [String: any Sendable] {
        var members: [String: any Sendable] = [
            "billnum": billnum, "billtype": billtype, "body": body, "paytype": "01",
            "paymentvalue": amount, "clientip": "10.0.0.9",
        ]
        if let cardno { members["cardno"] = cardno }
        return members
    }

    var description: String { "\(billtype)/\(billnum) \(amount)" }
}

/// Draws the bills of one fault case: `F<tag><run><n>`, at most 19 characters, so that the card number
/// `C<billnum>` fits the 20 characters a card number may have.
final class FaultBillSource: Sendable {
    /// Every bill number of the case starts with this (letters and digits only: it is used in SQL `LIKE`).
    let prefix: String
    /// The body (Alipay subject) of every bill of the case.
    let body: String
    private let counter = Mutex(0)

    init(tag: String) {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        let run = String((0..<6).map { _ in alphabet.randomElement()! })
        let cleanTag = String(tag.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(3))
        prefix = "F" + cleanTag + run
        body = "fault \(cleanTag) \(run)"
    }

    func next() -> FaultBill {
        let number = counter.withLock { value -> Int in
            value += 1
            return value
        }
        let billnum = prefix + String(number)
        let billtype = String(1 + number % 7)
        let amount = String(1 + number % 89) + "." + String(format: "%02d", (number * 7) % 100)
        return FaultBill(
            billnum: billnum, billtype: billtype, amount: amount, cardno: billtype == "7" ? "C" + billnum : nil,
            body: body)
    }
}

/// One answer a fault-load request got: ThreePay's envelope, another HTTP answer (nginx's own 502 page),
/// or no answer at all.
struct FaultAnswer: Sendable, CustomStringConvertible {
    let bill: FaultBill
    /// The request's place in the order the load sent its ScanCode requests (1, 2, …); 0 for other requests.
    let sequence: Int
    /// nil: the request failed below HTTP.
    let httpStatus: Int?
    /// nil: the body was not ThreePay's envelope.
    let errcode: Int?
    let detail: String
    /// The envelope's tag members that are strings.
    let tag: [String: String]

    var autoid: Int64? { tag["autoid"].flatMap { Int64($0) } }
    var codeurl: String? { tag["codeurl"] }
    var isEnvelope: Bool { errcode != nil }

    static func from(_ bill: FaultBill, sequence: Int, _ answer: HTTPReply) -> FaultAnswer {
        if let object = try? JSONSerialization.jsonObject(with: answer.data) as? [String: Any],
           let errcode = object["errcode"] as? Int
        {
            let tag = (object["tag"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            return FaultAnswer(
                bill: bill, sequence: sequence, httpStatus: answer.status, errcode: errcode, detail: object["errmsg"] as? String ?? "",
                tag: tag)
        }
        let text = answer.text.replacingOccurrences(of: "\n", with: " ").prefix(80)
        return FaultAnswer(bill: bill, sequence: sequence, httpStatus: answer.status, errcode: nil, detail: String(text), tag: [:])
    }

    static func failed(_ bill: FaultBill, sequence: Int, _ error: any Error) -> FaultAnswer {
        FaultAnswer(bill: bill, sequence: sequence, httpStatus: nil, errcode: nil, detail: String(describing: error).prefix(120).description, tag: [:])
    }

    var description: String {
        let status = httpStatus.map(String.init) ?? "no answer"
        let code = errcode.map(String.init) ?? "-"
        return "\(bill): HTTP \(status) errcode \(code) \(detail)"
    }
}

/// A bill the load saw issued and looked up with Query: its record and Alipay trade number.
struct FaultIssued: Sendable {
    let bill: FaultBill
    let autoid: Int64
    let outTradeNo: String
}

/// A buyer's payment the load made at the sandbox (which then notifies ThreePay).
struct FaultPayment: Sendable {
    let issued: FaultIssued
    let httpStatus: Int?
    let detail: String
    var accepted: Bool { httpStatus == 200 }
}

/// Bills the load issued and looked up but left unpaid, shared with the test while the load runs; it also
/// limits how many bills the load itself pays.
final class FaultReserve: Sendable {
    private let issued = Mutex<[FaultIssued]>([])
    private let paymentsLeft: Mutex<Int>

    /// `payments`: how many bills the load may pay.
    init(payments: Int = 24) {
        paymentsLeft = Mutex(payments)
    }

    /// True (and one fewer left) while the load may still pay a bill.
    func mayPay() -> Bool {
        paymentsLeft.withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    func add(_ bill: FaultIssued) { issued.withLock { $0.append(bill) } }

    /// Removes and returns up to `count` of them, oldest first.
    func take(_ count: Int) -> [FaultIssued] {
        issued.withLock { list in
            let taken = Array(list.prefix(count))
            list.removeFirst(taken.count)
            return taken
        }
    }
}

/// Everything a fault load sent and got back.
struct FaultLoadResult: Sendable {
    var scanCodes: [FaultAnswer] = []
    var queries: [FaultAnswer] = []
    var payments: [FaultPayment] = []
    var seconds: TimeInterval = 0

    mutating func merge(_ other: FaultLoadResult) {
        scanCodes += other.scanCodes
        queries += other.queries
        payments += other.payments
    }

    var requestCount: Int { scanCodes.count + queries.count + payments.count }
}

/// How far a load has got: its ScanCode requests sent and answered so far. The tests time their disruptions
/// by it, and tell the requests sent after a moment from those sent before by their `sequence`.
final class FaultProgress: Sendable {
    let sent = SharedCounter()
    let answered = SharedCounter()

    /// Waits until the load has received `count` more ScanCode answers than it had when this was called.
    func waitForAnswers(_ count: Int) async throws {
        let target = answered.value + count
        try await Poll.eventually("\(count) more ScanCode answers of the load", seconds: 120) { answered.value >= target }
    }
}

/// Tells the load's clients to stop: when set, once the load has received `answers` ScanCode answers, or when
/// its safety deadline has passed (the test normally stops the load itself).
final class FaultStopSignal: Sendable {
    let progress = FaultProgress()
    private let flag = Mutex(false)
    private let answers: Int
    private let deadline = ContinuousClock.now + .seconds(120)

    init(answers: Int = .max) {
        self.answers = answers
    }

    func stop() { flag.withLock { $0 = true } }

    var isStopped: Bool { flag.withLock { $0 } || progress.answered.value >= answers || ContinuousClock.now >= deadline }
}

/// A modest concurrent load through nginx: each client sends fresh bills to ScanCode one after another.
/// With a `reserve`, two issued bills in three are looked up with Query: one of them is paid at the sandbox
/// (which then notifies ThreePay; as many as the reserve allows), the other goes into the reserve for the
/// test to pay while the fault is on.
enum FaultLoad {
    static func run(
        _ source: FaultBillSource, clients: Int = 8, reserve: FaultReserve? = nil, until stop: FaultStopSignal
    ) async -> FaultLoadResult {
        let started = Date()
        var total = await withTaskGroup(of: FaultLoadResult.self) { group in
            for _ in 0..<clients {
                group.addTask { await client(source, reserve: reserve, until: stop) }
            }
            var total = FaultLoadResult()
            for await part in group { total.merge(part) }
            return total
        }
        total.seconds = Date().timeIntervalSince(started)
        return total
    }

    /// Runs the load with a reserve while `disrupt` breaks something (and pays reserved bills meanwhile),
    /// watching the load's progress; the load stops when `disrupt` returns or throws, and has finished either
    /// way before this returns.
    static func around(
        _ source: FaultBillSource, reserve: FaultReserve, _ disrupt: (FaultProgress) async throws -> Void
    ) async throws -> FaultLoadResult {
        let stop = FaultStopSignal()
        async let running = run(source, reserve: reserve, until: stop)
        do {
            try await disrupt(stop.progress)
        } catch {
            stop.stop()
            _ = await running
            throw error
        }
        stop.stop()
        return await running
    }

    private static func client(_ source: FaultBillSource, reserve: FaultReserve?, until stop: FaultStopSignal) async -> FaultLoadResult {
        var result = FaultLoadResult()
        var sent = 0
        while !stop.isStopped {
            let bill = source.next()
            let answer = await scanCode(bill, progress: stop.progress)
            result.scanCodes.append(answer)
            sent += 1
            guard let reserve, answer.errcode == 0, let autoid = answer.autoid, sent % 3 != 2 else { continue }
            let query = await query(bill, autoid: autoid)
            result.queries.append(query)
            guard query.errcode == 0, let outTradeNo = query.tag["outtradeno"] else { continue }
            let issued = FaultIssued(bill: bill, autoid: autoid, outTradeNo: outTradeNo)
            if sent % 3 == 0 {
                if reserve.mayPay() { result.payments.append(await pay(issued)) }
            } else {
                reserve.add(issued)
            }
        }
        return result
    }

    /// Sends the bill to ScanCode; with `progress`, the request is counted and numbered in the load's order.
    static func scanCode(_ bill: FaultBill, progress: FaultProgress? = nil) async -> FaultAnswer {
        let sequence = progress?.sent.increment() ?? 0
        defer { progress?.answered.increment() }
        do {
            return FaultAnswer.from(bill, sequence: sequence, try await HTTP.postJSON(scanCodePath, bill.json))
        } catch {
            return FaultAnswer.failed(bill, sequence: sequence, error)
        }
    }

    static func query(_ bill: FaultBill, autoid: Int64) async -> FaultAnswer {
        do {
            let answer = try await HTTP.postJSON("/api/3Pay/AliPay/Query", ["autoid": String(autoid)])
            return FaultAnswer.from(bill, sequence: 0, answer)
        } catch {
            return FaultAnswer.failed(bill, sequence: 0, error)
        }
    }

    /// The buyer pays at the sandbox, which then POSTs the signed notification to ThreePay.
    static func pay(_ issued: FaultIssued) async -> FaultPayment {
        do {
            let answer = try await HTTP.postJSON("/sandbox/pay", ["out_trade_no": issued.outTradeNo])
            return FaultPayment(issued: issued, httpStatus: answer.status, detail: String(answer.text.prefix(120)))
        } catch {
            return FaultPayment(issued: issued, httpStatus: nil, detail: String(describing: error))
        }
    }

    /// Sends `bills` to ScanCode again, `width` at a time; answers in the order of `bills`.
    static func resend(_ bills: [FaultBill], width: Int = 8) async -> [FaultAnswer] {
        var answers: [FaultAnswer] = []
        var start = 0
        while start < bills.count {
            let slice = Array(bills[start..<min(start + width, bills.count)])
            let part = await withTaskGroup(of: (Int, FaultAnswer).self) { group in
                for (index, bill) in slice.enumerated() {
                    group.addTask { (index, await scanCode(bill)) }
                }
                var found: [(Int, FaultAnswer)] = []
                for await item in group { found.append(item) }
                return found.sorted { $0.0 < $1.0 }.map(\.1)
            }
            answers += part
            start += width
        }
        return answers
    }
}
