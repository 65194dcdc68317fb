import CurlClient
import Foundation

/// One hostile request for the ScanCode endpoint and what a correct service answers.
struct HostileCase: Sendable {
    enum Expectation: Sendable {
        /// An envelope with a non-zero errcode (one of `errcodes` when given) and no record.
        case rejected(errcodes: Set<Int>)
        /// Only this HTTP status (nginx answers it itself, so no envelope is required) and no record.
        case status(Int)
        /// A valid request: errcode 0 and exactly one record holding these column values.
        case stored([String: String])
    }

    let name: String
    let contentType: String?
    var headers: [(String, String)] = []
    let body: [UInt8]
    /// Every billnum a record written for this request could carry.
    let billnums: [String]
    let expectation: Expectation
    /// Text a rejection's errmsg must contain (nil: any).
    var errmsgPart: String? = nil

    /// The Accept header among `headers` (nil: none is sent).
    private var accept: String? { headers.first { $0.0.lowercased() == "accept" }?.1 }
    private var otherHeaders: [(String, String)] { headers.filter { $0.0.lowercased() != "accept" } }

    static func rejected(
        _ name: String, _ contentType: String?, _ body: [UInt8], billnums: [String], _ errcodes: Set<Int> = []
    ) -> HostileCase {
        HostileCase(name: name, contentType: contentType, body: body, billnums: billnums, expectation: .rejected(errcodes: errcodes))
    }

    /// Runs the case with `client` and `database`; returns every broken expectation (empty: passed).
    func check(client: StackClient, database: StackDatabase) -> [String] {
        var problems: [String] = []
        let reply: HTTPReply
        do {
            reply = try client.scanCode(body, contentType: contentType, accept: accept, headers: otherHeaders)
        } catch {
            return ["\(name): no HTTP answer: \(error)"]
        }
        switch expectation {
        case .rejected(let errcodes):
            problems += checkRejected(reply, errcodes: errcodes)
        case .status(let status):
            if reply.status != status { problems.append("\(name): HTTP \(reply.status), expected \(status)") }
        case .stored(let columns):
            problems += checkStored(reply, columns: columns, database: database)
        }
        if case .stored = expectation {} else {
            do {
                let count = try database.count(billnums: billnums)
                if count != 0 { problems.append("\(name): \(count) record(s) written for \(billnums)") }
            } catch {
                problems.append("\(name): database check failed: \(error)")
            }
        }
        if !client.responderIsHealthy() {
            problems.append("\(name): the responder's health check failed afterwards")
        }
        return problems
    }

    private func checkRejected(_ reply: HTTPReply, errcodes: Set<Int>) -> [String] {
        let envelope: ScanCodeEnvelope
        do {
            envelope = try ScanCodeEnvelope.parse(reply)
        } catch {
            return ["\(name): HTTP \(reply.status) without an envelope: \(error)"]
        }
        var problems: [String] = []
        let shown = "errcode \(envelope.errcode) '\(envelope.errmsg ?? "nil")' (HTTP \(reply.status))"
        if envelope.errcode == 0 {
            problems.append("\(name): accepted (\(shown)), expected an error")
        } else if !errcodes.isEmpty, !errcodes.contains(envelope.errcode) {
            problems.append("\(name): \(shown), expected one of \(errcodes.sorted())")
        } else if envelope.errcode >= 3000 {
            problems.append("\(name): \(shown): a hostile body should fail as a client error")
        }
        if let errmsgPart, envelope.errmsg?.contains(errmsgPart) != true {
            problems.append("\(name): \(shown), expected an errmsg containing '\(errmsgPart)'")
        }
        let expectedStatus = [1004: 413, 1005: 415][envelope.errcode] ?? 200
        if envelope.errcode != 0, reply.status != expectedStatus {
            problems.append("\(name): \(shown), expected HTTP \(expectedStatus)")
        }
        if reply.header("X-ThreePay-Errcode") != String(envelope.errcode) {
            problems.append("\(name): X-ThreePay-Errcode \(reply.header("X-ThreePay-Errcode") ?? "nil") for \(shown)")
        }
        if envelope.errcode != 0, envelope.codeurl != nil {
            problems.append("\(name): an error answer carries a codeurl")
        }
        return problems
    }

    private func checkStored(_ reply: HTTPReply, columns: [String: String], database: StackDatabase) -> [String] {
        let envelope: ScanCodeEnvelope
        do {
            envelope = try ScanCodeEnvelope.parse(reply)
        } catch {
            return ["\(name): HTTP \(reply.status) without an envelope: \(error)"]
        }
        guard envelope.errcode == 0 else {
            return ["\(name): errcode \(envelope.errcode) '\(envelope.errmsg ?? "nil")', expected 0 and the text stored"]
        }
        var problems: [String] = []
        for injected in ["X-Injected", "Set-Cookie"] where reply.header(injected) != nil {
            problems.append("\(name): the answer carries a \(injected) header")
        }
        guard let billnum = columns["billnum"] else { return ["\(name): the case names no billnum"] }
        if envelope.format == .json || !billnum.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
            if envelope.billnum != billnum {
                problems.append("\(name): answer billnum \(String(reflecting: envelope.billnum)) != \(String(reflecting: billnum))")
            }
        }
        let records: [StackDatabase.Record]
        do {
            records = try database.records(billnum: billnum).filter { $0.billnum == billnum }
        } catch {
            return problems + ["\(name): database check failed: \(error)"]
        }
        guard records.count == 1, let record = records.first else {
            return problems + ["\(name): \(records.count) records for \(String(reflecting: billnum)), expected 1"]
        }
        if record.status != "QR_ISSUED" || record.codeurl == nil || record.codeurl != envelope.codeurl {
            problems.append("\(name): record \(record) does not hold the answer's QR code")
        }
        let actual: [String: String?] = [
            "billnum": record.billnum, "billtype": record.billtype, "body": record.body, "paytype": record.paytype,
            "paymentvalue": record.paymentvalue, "detail": record.detail, "clientip": record.clientip, "cardno": record.cardno,
        ]
        for (column, expected) in columns.sorted(by: { $0.key < $1.key }) {
            let stored = actual[column] ?? nil
            if stored != expected {
                problems.append("\(name): \(column) stored as \(String(reflecting: stored)), expected \(String(reflecting: expected))")
            }
        }
        return problems
    }
}

/// Runs cases on a fixed number of threads, each with its own HTTP client and database connection.
enum HostileRunner {
    final class Results: @unchecked Sendable {
        // Guarded by `lock`: written by every runner thread.
        private let lock = NSLock()
        private var nextIndex = 0
        private var collected: [String] = []

        func claim(below count: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard nextIndex < count else { return nil }
            nextIndex += 1
            return nextIndex - 1
        }

        func add(_ problems: [String]) {
            guard !problems.isEmpty else { return }
            lock.lock()
            collected += problems
            lock.unlock()
        }

        var problems: [String] {
            lock.lock()
            defer { lock.unlock() }
            return collected
        }
    }

    /// Every problem found, in no particular order.
    static func run(_ cases: [HostileCase], concurrency: Int = 16) -> [String] {
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<min(concurrency, cases.count) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let client: StackClient
                let database: StackDatabase
                do {
                    client = try StackClient()
                    database = try StackDatabase()
                } catch {
                    results.add(["runner thread could not start: \(error)"])
                    return
                }
                while let index = results.claim(below: cases.count) {
                    results.add(cases[index].check(client: client, database: database))
                }
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        group.wait()
        return results.problems
    }
}
