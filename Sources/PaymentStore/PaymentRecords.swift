import Foundation
internal import MariaDB
public import PaymentFlow
public import PaymentModel

/// The payment-record store of one worker: every call is one stored procedure on the worker's own connection.
///
/// Not Sendable (it owns a connection). The connection is opened on first use and again after it is lost.
///
/// This is the one place a call is tried again: a lock wait timeout (each wait is 1 s), a deadlock the procedure's
/// own retries did not outlast (a Galera certification conflict is reported as one), and a lost connection
/// (re-established first, on the next node of a cluster) are retried with a short jittered back-off while the
/// call's deadline allows, and never started after it. Sending a call again is safe because
/// every procedure is a single transaction whose repetition returns the recorded outcome.
public final class PaymentRecords: PaymentRecordStore, CallbackOutbox {
    let connection: Connection
    /// Attempts per call at most; the deadline ends them sooner.
    public var maxAttempts = 1000

    init(connection: Connection) {
        self.connection = connection
    }

    /// A store on `settings`; connects on the first call (so a database that is down at start-up is not an
    /// error until a request needs it).
    public convenience init(settings: DatabaseSettings) {
        self.init(connection: Connection(settings: settings.connectionSettings, connectingNow: false))
    }

    /// Opens a connection with `settings` now.
    convenience init(connectionSettings: ConnectionSettings) throws(StoreError) {
        do {
            self.init(connection: try Connection(settings: connectionSettings))
        } catch {
            throw StoreError(error)
        }
    }

    public func begin(_ bill: ScanCodeRequest, clientIP: String, qrValiditySeconds: Int, lease: BillLease?,
                      deadline: Deadline) throws(StoreError) -> BeginOutcome
    {
        let leaseMilliseconds = min(max(lease?.until.remainingMilliseconds ?? 1, 1), 600_000)
        let row = try singleRow(ProcedureNames.begin, [
            .string(bill.billnum), .string(bill.billtype.rawValue), .string(bill.body), .string(bill.paytype),
            .decimal(bill.paymentvalue.description), .optional(bill.detail), .string(clientIP),
            .optional(bill.cardno), .int(Int64(qrValiditySeconds)), .optional(lease?.token),
            lease == nil ? .null : .int(Int64(leaseMilliseconds)),
        ], deadline: deadline)
        let action = try? row.string("action")
        if action == "busy" {
            return .busy(current: (try? row.int64("autoid")) == nil ? nil : try decode(row))
        }
        let record = try decode(row)
        switch action {
        case "new": return .new(record)
        case "existing": return .existing(record)
        case "close_first": return .closeFirst(old: record)
        default: throw .unavailable("Begin returned an unknown action")
        }
    }

    @discardableResult
    public func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int, releasing lease: BillLease?,
                               deadline: Deadline) throws(StoreError) -> PaymentRecord
    {
        try callRecord(ProcedureNames.qrIssued, [
            .int(autoid), .string(codeURL), .int(Int64(validitySeconds)), .optional(lease?.token),
        ], deadline)
    }

    @discardableResult
    public func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?,
                               releasing lease: BillLease?, deadline: Deadline) throws(StoreError) -> PaymentRecord
    {
        try callRecord(ProcedureNames.qrFailed, [
            .int(autoid), .optional(code), .optional(subCode), .optional(message), .optional(lease?.token),
        ], deadline)
    }

    @discardableResult
    public func recordUnknown(autoid: Int64, reason: String, releasing lease: BillLease?, deadline: Deadline)
        throws(StoreError) -> PaymentRecord
    {
        try callRecord(ProcedureNames.unknown, [.int(autoid), .string(reason), .optional(lease?.token)], deadline)
    }

    @discardableResult
    public func recordClosed(autoid: Int64, releasing lease: BillLease?, deadline: Deadline) throws(StoreError)
        -> PaymentRecord
    {
        try callRecord(ProcedureNames.closed, [.int(autoid), .optional(lease?.token)], deadline)
    }

    public func release(_ lease: BillLease, billtype: String, billnum: String, deadline: Deadline)
        throws(StoreError)
    {
        _ = try rows(ProcedureNames.billRelease, [.string(billtype), .string(billnum), .string(lease.token)],
                     deadline: deadline)
    }

    /// Throws `.notFound` (unknown out_trade_no) or `.rule` (amount differs, or paid under another trade number);
    /// nothing changes then.
    public func recordPaid(_ payment: ConfirmedPayment, deadline: Deadline) throws(StoreError) -> Bool {
        let row = try singleRow(ProcedureNames.paid, [
            .string(payment.outTradeNo), .string(payment.tradeNo), .decimal(payment.totalAmount.description),
            payment.paidAt.map(SQLValue.dateTime) ?? .null, .optional(payment.buyerID),
            .string(payment.source.rawValue),
        ], deadline: deadline)
        guard let changed = try? row.int64("changed") else { throw .unavailable("Paid returned no changed flag") }
        return changed == 1
    }

    public func find(autoid: Int64, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try callOptionalRecord(ProcedureNames.get, [.int(autoid)], deadline)
    }

    public func find(billtype: String, billnum: String, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try callOptionalRecord(ProcedureNames.getByBill, [.string(billtype), .string(billnum)], deadline)
    }

    public func find(outTradeNo: String, deadline: Deadline) throws(StoreError) -> PaymentRecord? {
        try callOptionalRecord(ProcedureNames.getByTradeNo, [.string(outTradeNo)], deadline)
    }

    /// Names from `ProcedureNames.required` that do not exist in the connected database (empty = ready).
    public func missingProcedures(deadline: Deadline) throws(StoreError) -> [String] {
        let query = "SELECT ROUTINE_NAME FROM information_schema.ROUTINES"
            + " WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE'"
        let sets = try withRetries(deadline) { () throws(MariaDBError) -> [ResultSet] in
            try connection.execute(query, idempotent: true)
        }
        // Routine names are case-insensitive in MariaDB.
        var present: Set<String> = []
        for row in sets.first?.rows ?? [] {
            if let name = row.values.first ?? nil { present.insert(name.lowercased()) }
        }
        return ProcedureNames.required.filter { !present.contains($0.lowercased()) }
    }

    private func callRecord(_ procedure: String, _ arguments: [SQLValue], _ deadline: Deadline) throws(StoreError)
        -> PaymentRecord
    {
        try decode(singleRow(procedure, arguments, deadline: deadline))
    }

    private func callOptionalRecord(_ procedure: String, _ arguments: [SQLValue], _ deadline: Deadline)
        throws(StoreError) -> PaymentRecord?
    {
        try rows(procedure, arguments, deadline: deadline).first.map { (row) throws(StoreError) in try decode(row) }
    }

    func singleRow(_ procedure: String, _ arguments: [SQLValue], deadline: Deadline) throws(StoreError)
        -> Row
    {
        guard let row = try rows(procedure, arguments, deadline: deadline).first else {
            throw .unavailable("\(procedure) returned no row")
        }
        return row
    }

    /// The rows of the first result set of `procedure` (empty when it returns none).
    func rows(_ procedure: String, _ arguments: [SQLValue], deadline: Deadline) throws(StoreError) -> [Row] {
        let sets = try withRetries(deadline) { () throws(MariaDBError) -> [ResultSet] in
            // Not re-sent by the connection itself: withRetries decides, under the deadline.
            try connection.call(procedure, arguments, idempotent: false)
        }
        return sets.first?.rows ?? []
    }

    func decode(_ row: Row) throws(StoreError) -> PaymentRecord {
        do {
            return try PaymentRecord(row: row)
        } catch {
            throw .unavailable(error.description)
        }
    }

    private func withRetries<Result>(_ deadline: Deadline, _ body: () throws(MariaDBError) -> Result)
        throws(StoreError) -> Result
    {
        var attempt = 1
        var reconnects = 0
        while true {
            guard !deadline.hasPassed else {
                throw .unavailable("the request's time ran out before the database answered")
            }
            do {
                return try body()
            } catch let error where error.isConnectionLost && reconnects < connection.settings.endpoints.count {
                // The server dropped the connection (a restart, an idle timeout, a cluster node that died or left the
                // primary component): one more try on a new connection, which starts with the next node of a
                // cluster. One server that cannot be reached twice in a row is down, and waiting would only delay
                // the 4001; a cluster gets one more try per node.
                reconnects += 1
            } catch let error where error.isRetryable && attempt < maxAttempts {
                // A lock wait (1 s each) or a deadlock: again after 10, 20, 40 … 320 ms, each scaled by 0.5…1.5 so
                // that colliding workers spread out, and never past the deadline.
                let base = 0.01 * Double(1 << min(attempt - 1, 5))
                let pause = min(base * Double.random(in: 0.5...1.5), Double(deadline.remainingMilliseconds) / 1000)
                Thread.sleep(forTimeInterval: pause)
                attempt += 1
            } catch {
                throw StoreError(error)
            }
        }
    }

}

@available(*, unavailable)
extension PaymentRecords: Sendable {}
