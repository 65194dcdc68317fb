import Foundation
import PaymentFlow
import PaymentModel

/// The payment records in memory, following the procedures' rules (sql/README.md): one current record per bill,
/// Begin's three answers, the transition table, a payment recorded exactly once. Failures can be injected per
/// call to play a database that is down or a deadlock that outlived its retries.
final class InMemoryStore: PaymentRecordStore, CallbackOutbox {
    private(set) var records: [Int64: PaymentRecord] = [:]
    private var bills: [String: Int64] = [:]
    private var nextAutoid: Int64 = 1
    /// Calls in order, by name (`begin`, `qrIssued`, `paid` …).
    private(set) var calls: [String] = []
    /// The next call with this name throws this error instead (one each).
    var failures: [String: [StoreError]] = [:]
    /// Receipts written (one per payment recorded).
    private(set) var receipts: [Int64] = []
    /// Bill leases by bill key: the token of the request holding it.
    var leases: [String: String] = [:]
    /// Releases a lease held by another token after this many `busy` answers (that request finishing its work).
    var busyAnswersBeforeRelease = Int.max
    var clock = Date(timeIntervalSince1970: 1_780_000_000)

    private func enter(_ name: String, _ deadline: Deadline) throws(StoreError) {
        calls.append(name)
        guard !deadline.hasPassed else { throw .unavailable("deadline passed") }
        if var queue = failures[name], !queue.isEmpty {
            let error = queue.removeFirst()
            failures[name] = queue
            throw error
        }
    }

    func begin(_ bill: ScanCodeRequest, clientIP: String, qrValiditySeconds: Int, lease: BillLease?,
               deadline: Deadline) throws(StoreError) -> BeginOutcome
    {
        try enter("begin", deadline)
        let key = bill.billtype.rawValue + "/" + bill.billnum
        if let lease, let holder = leases[key], holder != lease.token {
            busyAnswersBeforeRelease -= 1
            if busyAnswersBeforeRelease < 0 { leases[key] = nil } else {
                return .busy(current: bills[key].flatMap { records[$0] })
            }
        }
        if let current = bills[key], let record = records[current] {
            switch record.status {
            case .paid:
                throw .alreadyPaid("Bill \(bill.billnum) is already paid")
            case .initiated, .qrIssued, .unknown:
                let deadlineAt = record.qrExpiresAt ?? record.createdAt.addingTimeInterval(Double(qrValiditySeconds))
                let same = record.paymentvalue == bill.paymentvalue
                    && (bill.billtype != .storedValueCardRecharge || record.cardno == bill.cardno)
                if same && deadlineAt > clock {
                    if record.status == .qrIssued {
                        if leases[key] == lease?.token { leases[key] = nil }
                    } else if let lease {
                        leases[key] = lease.token
                    }
                    return .existing(record)
                }
                if let lease { leases[key] = lease.token }
                return .closeFirst(old: record)
            case .qrFailed, .closed:
                break
            }
        }
        if let lease { leases[key] = lease.token }
        let autoid = nextAutoid
        nextAutoid += 1
        let record = PaymentRecord(
            autoid: autoid, billnum: bill.billnum, billtype: bill.billtype.rawValue, body: bill.body,
            paytype: bill.paytype, paymentvalue: bill.paymentvalue, detail: bill.detail, clientip: clientIP,
            cardno: bill.cardno, outTradeNo: "TP" + String(autoid), codeurl: nil, status: .initiated,
            qrExpiresAt: nil, gatewayCode: nil, gatewaySubCode: nil, gatewayMessage: nil, tradeNo: nil,
            paidAmount: nil, paidAt: nil, buyerID: nil, paidSource: nil, createdAt: clock, updatedAt: clock)
        records[autoid] = record
        bills[key] = autoid
        return .new(record)
    }

    /// The transition table of `Sp_3Pay_Offline_ReceiveMoney_Transition`: the new status, nil for "keep".
    private func transition(_ autoid: Int64, _ event: String, _ allowed: [PaymentStatus: PaymentStatus?])
        throws(StoreError) -> PaymentRecord
    {
        guard let record = records[autoid] else { throw .notFound }
        if record.status == .paid { throw .alreadyPaid("Trade \(record.outTradeNo) is already paid") }
        guard let target = allowed[record.status] else {
            throw .rule("Payment record \(autoid) is \(record.status.rawValue): cannot record \(event)")
        }
        if let target { records[autoid] = record.with(status: target, at: clock) }
        return records[autoid]!
    }

    private func releaseLease(_ lease: BillLease?, autoid: Int64) {
        guard let lease, let record = records[autoid] else { return }
        let key = record.billtype + "/" + record.billnum
        if leases[key] == lease.token { leases[key] = nil }
    }

    func release(_ lease: BillLease, billtype: String, billnum: String, deadline: Deadline) throws(StoreError) {
        try enter("release", deadline)
        if leases[billtype + "/" + billnum] == lease.token { leases[billtype + "/" + billnum] = nil }
    }

    func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int, releasing lease: BillLease?,
                        deadline: Deadline) throws(StoreError) -> PaymentRecord
    {
        try enter("qrIssued", deadline)
        releaseLease(lease, autoid: autoid)
        var updated = try transition(autoid, "qr_issued", [.initiated: .qrIssued, .unknown: .qrIssued, .qrIssued: .qrIssued])
        updated = updated.with(codeurl: codeURL, expiresAt: clock.addingTimeInterval(Double(validitySeconds)))
        records[autoid] = updated
        return updated
    }

    func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?, releasing lease: BillLease?,
                        deadline: Deadline) throws(StoreError) -> PaymentRecord
    {
        try enter("qrFailed", deadline)
        releaseLease(lease, autoid: autoid)
        return try transition(
            autoid, "qr_failed", [.initiated: .qrFailed, .unknown: .qrFailed, .qrFailed: nil, .qrIssued: nil])
    }

    func recordUnknown(autoid: Int64, reason: String, releasing lease: BillLease?, deadline: Deadline)
        throws(StoreError) -> PaymentRecord
    {
        try enter("unknown", deadline)
        releaseLease(lease, autoid: autoid)
        return try transition(autoid, "unknown", [.initiated: .unknown, .unknown: .unknown, .qrIssued: nil])
    }

    func recordClosed(autoid: Int64, releasing lease: BillLease?, deadline: Deadline) throws(StoreError)
        -> PaymentRecord
    {
        try enter("closed", deadline)
        releaseLease(lease, autoid: autoid)
        return try transition(
            autoid, "closed", [.initiated: .closed, .qrIssued: .closed, .unknown: .closed, .closed: nil])
    }

    func recordPaid(_ payment: ConfirmedPayment, deadline: Deadline) throws(StoreError) -> Bool {
        try enter("paid", deadline)
        guard let record = records.values.first(where: { $0.outTradeNo == payment.outTradeNo }) else {
            throw .notFound
        }
        guard record.paymentvalue == payment.totalAmount else {
            throw .rule("Trade \(payment.outTradeNo): paid amount differs from the recorded amount")
        }
        if record.status == .paid {
            guard record.tradeNo == payment.tradeNo else { throw .rule("paid under another trade_no") }
            return false
        }
        records[record.autoid] = record.paid(payment, at: clock)
        if record.billtype == "7", let card = record.cardno {
            cards[card] = Money(fen: (cards[card]?.fen ?? 0) + payment.totalAmount.fen)
        }
        let key = record.billtype + "/" + record.billnum
        if let current = bills[key], records[current]?.status != .paid { bills[key] = record.autoid }
        receipts.append(record.autoid)
        return true
    }

    func find(autoid: Int64, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try enter("get", deadline)
        return records[autoid]
    }

    func find(billtype: String, billnum: String, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try enter("getByBill", deadline)
        return bills[billtype + "/" + billnum].flatMap { records[$0] }
    }

    func find(outTradeNo: String, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try enter("getByTradeNo", deadline)
        return records.values.first { $0.outTradeNo == outTradeNo }
    }

    /// Until when the sweep holds a record (sql/040_sweep.sql's sweep_until).
    private(set) var sweepClaims: [Int64: Date] = [:]

    func claimStaleRecords(limit: Int, unknownAfterSeconds: Int, leaseMilliseconds: Int, deadline: Deadline)
        throws(StoreError) -> [PaymentRecord]
    {
        try enter("claimStale", deadline)
        let stale = records.values.filter { record in
            guard (sweepClaims[record.autoid] ?? .distantPast) <= clock else { return false }
            switch record.status {
            case .qrIssued: return (record.qrExpiresAt ?? .distantFuture) <= clock
            case .initiated, .unknown: return record.updatedAt.addingTimeInterval(Double(unknownAfterSeconds)) <= clock
            default: return false
            }
        }
        let claimed = Array(stale.sorted { $0.updatedAt < $1.updatedAt }.prefix(limit))
        for record in claimed {
            sweepClaims[record.autoid] = clock.addingTimeInterval(Double(leaseMilliseconds) / 1000)
        }
        return claimed
    }

    // MARK: Refunds, following sql/050_refunds.sql

    private(set) var refunds: [RefundRecord] = []
    /// Stored-value card balances.
    var cards: [String: Money] = [:]
    /// Refunds whose lease is held, with the holder's token ("" for a lease no request names).
    private var refundLeases: [Int64: String] = [:]

    private func refundRow(_ index: Int) -> RefundRecord {
        var refund = refunds[index]
        refund.refundedTotal = records[refund.autoid]?.refundedAmount ?? Money(fen: 0)
        return refund
    }

    func beginRefund(_ request: RefundRequest, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError)
        -> RefundBeginOutcome
    {
        try enter("refundBegin", deadline)
        let record: PaymentRecord
        switch request.lookup {
        case .autoid(let autoid):
            guard let found = records[autoid] else { throw .notFound }
            record = found
        case .bill(let billtype, let billnum):
            guard let current = bills[billtype + "/" + billnum], let found = records[current] else { throw .notFound }
            record = found
        }
        if let index = refunds.firstIndex(where: {
            $0.billtype == record.billtype && $0.billnum == record.billnum && $0.refundno == request.refundno
        }) {
            guard refunds[index].amount == request.amount else { throw .refundRefused(.amountMismatch, "amount") }
            switch refunds[index].status {
            case .refunded, .failed: return .done(refundRow(index))
            case .requested, .pending:
                if let holder = refundLeases[refunds[index].refundID],
                   request.leaseToken == nil || holder != request.leaseToken
                {
                    return .busy(refundRow(index))
                }
                refundLeases[refunds[index].refundID] = request.leaseToken ?? ""
                return .query(refundRow(index))
            }
        }
        guard record.status == .paid else { throw .refundRefused(.notPaid, "not paid") }
        let taken = refunds.filter { $0.autoid == record.autoid && $0.status != .failed }.reduce(0) { $0 + $1.amount.fen }
        guard request.amount.fen <= (record.paidAmount ?? record.paymentvalue).fen - taken else {
            throw .refundRefused(.exceedsRemaining, "exceeds")
        }
        if record.billtype == "7", let card = record.cardno {
            guard let balance = cards[card], balance >= request.amount else {
                throw .refundRefused(.cardBalanceTooLow, "card")
            }
            cards[card] = Money(fen: balance.fen - request.amount.fen)
        }
        let id = Int64(refunds.count + 1)
        refunds.append(RefundRecord(
            refundID: id, autoid: record.autoid, billtype: record.billtype, billnum: record.billnum,
            refundno: request.refundno, outRequestNo: "RF\(id)", amount: request.amount, reason: request.reason,
            status: .requested, gatewayCode: nil, gatewaySubCode: nil, gatewayMessage: nil, refundedAt: nil,
            refundedTotalAfter: nil, outTradeNo: record.outTradeNo, tradeNo: record.tradeNo,
            paidAmount: record.paidAmount, refundedTotal: record.refundedAmount))
        refundLeases[id] = request.leaseToken ?? ""
        return .callAlipay(refundRow(refunds.count - 1))
    }

    /// Receipts of recorded refunds (one per refund).
    private(set) var refundReceipts: [Int64] = []

    func recordRefunded(refundID: Int64, refundedAt: Date?, deadline: Deadline) throws(StoreError) -> RefundRecord {
        try enter("refunded", deadline)
        let index = Int(refundID) - 1
        guard refunds.indices.contains(index) else { throw .notFound }
        if refunds[index].status != .refunded {
            let record = records[refunds[index].autoid]!
            let total = Money(fen: record.refundedAmount.fen + refunds[index].amount.fen)
            guard total.fen <= (record.paidAmount ?? record.paymentvalue).fen else {
                throw .refundRefused(.exceedsRemaining, "more than paid")
            }
            records[record.autoid] = record.refunded(total)
            if refunds[index].status == .failed, let card = record.cardno, record.billtype == "7" {
                cards[card] = Money(fen: (cards[card]?.fen ?? 0) - refunds[index].amount.fen)
            }
            refunds[index].status = .refunded
            refunds[index].refundedAt = refundedAt ?? clock
            refunds[index].refundedTotalAfter = total
            refundReceipts.append(refundID)
        }
        refundLeases[refundID] = nil
        return refundRow(index)
    }

    func recordRefundFailed(refundID: Int64, code: String?, subCode: String?, message: String?, deadline: Deadline)
        throws(StoreError) -> RefundRecord
    {
        try enter("refundFailed", deadline)
        let index = Int(refundID) - 1
        switch refunds[index].status {
        case .refunded: throw .rule("Refund is REFUNDED: cannot record failed")
        case .failed: break
        case .requested, .pending:
            refunds[index].status = .failed
            refunds[index].gatewayCode = code
            refunds[index].gatewaySubCode = subCode
            refunds[index].gatewayMessage = message
            let record = records[refunds[index].autoid]!
            if record.billtype == "7", let card = record.cardno {
                cards[card] = Money(fen: (cards[card]?.fen ?? 0) + refunds[index].amount.fen)
            }
        }
        refundLeases[refundID] = nil
        return refundRow(index)
    }

    func recordRefundPending(refundID: Int64, reason: String, deadline: Deadline) throws(StoreError) -> RefundRecord {
        try enter("refundPending", deadline)
        let index = Int(refundID) - 1
        if refunds[index].status == .requested { refunds[index].status = .pending }
        refundLeases[refundID] = nil
        return refundRow(index)
    }

    func recordExternalRefund(outTradeNo: String, outRequestNo: String, amount: Money?, refundedAt: Date?,
                              source: ExternalRefundSource, deadline: Deadline) throws(StoreError) -> RefundRecord?
    {
        try enter("refundReported", deadline)
        guard let record = records.values.first(where: { $0.outTradeNo == outTradeNo }) else { throw .notFound }
        guard record.status == .paid else { throw .refundRefused(.notPaid, "not paid") }
        var index = refunds.firstIndex { $0.autoid == record.autoid && $0.outRequestNo == outRequestNo }
        if index == nil {
            let rest = (record.paidAmount ?? record.paymentvalue).fen - record.refundedAmount.fen
            let amount = amount?.fen ?? (source == .cancel ? rest : 0)
            guard amount > 0 else { return nil }
            guard amount <= rest else { throw .refundRefused(.exceedsRemaining, "exceeds what was paid") }
            let id = Int64(refunds.count + 1)
            refunds.append(RefundRecord(
                refundID: id, autoid: record.autoid, billtype: record.billtype, billnum: record.billnum,
                refundno: outRequestNo, outRequestNo: outRequestNo, amount: Money(fen: amount), reason: nil,
                status: .pending, gatewayCode: nil, gatewaySubCode: nil, gatewayMessage: nil, refundedAt: nil,
                refundedTotalAfter: nil, outTradeNo: record.outTradeNo, tradeNo: record.tradeNo,
                paidAmount: record.paidAmount, refundedTotal: record.refundedAmount))
            if record.billtype == "7", let card = record.cardno {
                cards[card] = Money(fen: (cards[card]?.fen ?? 0) - amount)
            }
            index = refunds.count - 1
        }
        return try recordRefunded(refundID: refunds[index!].refundID, refundedAt: refundedAt, deadline: deadline)
    }

    func claimStaleRefunds(limit: Int, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError)
        -> [RefundRecord]
    {
        try enter("refundClaimStale", deadline)
        let claimed = refunds.indices.filter {
            (refunds[$0].status == .pending || refunds[$0].status == .requested)
                && refundLeases[refunds[$0].refundID] == nil
        }.prefix(limit)
        for index in claimed { refundLeases[refunds[index].refundID] = "" }
        return claimed.map(refundRow)
    }

    /// Lets a refund's lease run out (its request stopped without recording an outcome).
    func expireRefundLease(_ refundID: Int64) { refundLeases[refundID] = nil }

    // MARK: The callback outbox

    struct Callback {
        var job: CallbackJob
        var state = "PENDING"
        var attempts = 0
        var retryAfter: Int?
    }

    private(set) var callbacks: [Callback] = []

    /// Queues a callback for a recorded payment, as `Sp_3Pay_Receipt_Dispatch` does.
    func queueCallback(for autoid: Int64) {
        let record = records[autoid]!
        callbacks.append(Callback(job: CallbackJob(
            id: Int64(callbacks.count + 1), attempts: 0, autoid: autoid, billtype: record.billtype,
            billnum: record.billnum, outTradeNo: record.outTradeNo, tradeNo: record.tradeNo ?? "T",
            amount: record.paymentvalue, paidAt: record.paidAt, cardno: record.cardno, paytype: record.paytype)))
    }

    func claimCallbacks(limit: Int, leaseSeconds: Int, deadline: Deadline) throws(StoreError) -> [CallbackJob] {
        try enter("claim", deadline)
        var claimed: [CallbackJob] = []
        for index in callbacks.indices where callbacks[index].state == "PENDING" && claimed.count < limit {
            callbacks[index].state = "CLAIMED"
            var job = callbacks[index].job
            job = CallbackJob(
                id: job.id, attempts: callbacks[index].attempts, autoid: job.autoid, billtype: job.billtype,
                billnum: job.billnum, outTradeNo: job.outTradeNo, tradeNo: job.tradeNo, amount: job.amount,
                paidAt: job.paidAt, cardno: job.cardno, paytype: job.paytype)
            claimed.append(job)
        }
        return claimed
    }

    func callbackDelivered(id: Int64, httpStatus: Int, deadline: Deadline) throws(StoreError) {
        try enter("delivered", deadline)
        callbacks[Int(id) - 1].state = "DELIVERED"
    }

    func callbackFailed(id: Int64, httpStatus: Int?, error: String, retryAfterSeconds: Int, giveUp: Bool,
                        deadline: Deadline) throws(StoreError) {
        try enter("failed", deadline)
        callbacks[Int(id) - 1].attempts += 1
        callbacks[Int(id) - 1].retryAfter = retryAfterSeconds
        // Due again at once in this book: the tests drive the attempts one round after another.
        callbacks[Int(id) - 1].state = giveUp ? "GAVE_UP" : "PENDING"
    }

    func callbackSkipped(id: Int64, reason: String, deadline: Deadline) throws(StoreError) {
        try enter("skipped", deadline)
        callbacks[Int(id) - 1].state = "SKIPPED"
    }
}

extension PaymentRecord {
    func with(status: PaymentStatus? = nil, codeurl: String? = nil, expiresAt: Date? = nil, at time: Date? = nil)
        -> PaymentRecord
    {
        PaymentRecord(
            autoid: autoid, billnum: billnum, billtype: billtype, body: body, paytype: paytype,
            paymentvalue: paymentvalue, detail: detail, clientip: clientip, cardno: cardno, outTradeNo: outTradeNo,
            codeurl: codeurl ?? self.codeurl, status: status ?? self.status, qrExpiresAt: expiresAt ?? qrExpiresAt,
            gatewayCode: gatewayCode, gatewaySubCode: gatewaySubCode, gatewayMessage: gatewayMessage,
            tradeNo: tradeNo, paidAmount: paidAmount, paidAt: paidAt, buyerID: buyerID, paidSource: paidSource,
            createdAt: createdAt, updatedAt: time ?? updatedAt)
    }

    func refunded(_ total: Money) -> PaymentRecord {
        PaymentRecord(
            autoid: autoid, billnum: billnum, billtype: billtype, body: body, paytype: paytype,
            paymentvalue: paymentvalue, detail: detail, clientip: clientip, cardno: cardno, outTradeNo: outTradeNo,
            codeurl: codeurl, status: status, qrExpiresAt: qrExpiresAt, gatewayCode: gatewayCode,
            gatewaySubCode: gatewaySubCode, gatewayMessage: gatewayMessage, tradeNo: tradeNo, paidAmount: paidAmount,
            paidAt: paidAt, buyerID: buyerID, paidSource: paidSource, createdAt: createdAt, updatedAt: updatedAt,
            refundedAmount: total)
    }

    func paid(_ payment: ConfirmedPayment, at time: Date) -> PaymentRecord {
        PaymentRecord(
            autoid: autoid, billnum: billnum, billtype: billtype, body: body, paytype: paytype,
            paymentvalue: paymentvalue, detail: detail, clientip: clientip, cardno: cardno, outTradeNo: outTradeNo,
            codeurl: codeurl, status: .paid, qrExpiresAt: qrExpiresAt, gatewayCode: nil, gatewaySubCode: nil,
            gatewayMessage: nil, tradeNo: payment.tradeNo, paidAmount: payment.totalAmount,
            paidAt: payment.paidAt ?? time, buyerID: payment.buyerID, paidSource: payment.source,
            createdAt: createdAt, updatedAt: time)
    }
}
