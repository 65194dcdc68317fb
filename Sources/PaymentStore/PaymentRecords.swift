import Foundation
public import MariaDB
public import PaymentModel

/// The payment-record store of one worker: every call is one stored procedure on the worker's connection.
///
/// Not Sendable (it owns a `Connection`). Deadlocks and lock wait timeouts are retried here (up to
/// `maxAttempts`, with a short jittered back-off) on top of the procedures' own retries; a lost connection is
/// re-established and the call repeated once by `Connection`, which is safe because every procedure is a
/// single transaction whose repetition returns the recorded outcome.
public final class PaymentRecords {
    public let connection: Connection
    /// Attempts per call when the database reports a deadlock or lock wait timeout.
    public var maxAttempts = 5

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Opens a connection with `settings` and wraps it.
    public convenience init(settings: ConnectionSettings) throws(StoreError) {
        do {
            self.init(connection: try Connection(settings: settings))
        } catch {
            throw StoreError(error)
        }
    }

    /// Starts or resumes the payment of a bill (`Sp_3Pay_Offline_ReceiveMoney_Begin`).
    public func begin(_ input: BeginInput) throws(StoreError) -> BeginOutcome {
        let row = try singleRow(ProcedureNames.begin, [
            .string(input.billnum), .string(input.billtype), .string(input.body), .string(input.paytype),
            .decimal(input.paymentvalue.description), .optional(input.detail), .string(input.clientip),
            .optional(input.cardno), .int(Int64(input.qrValiditySeconds)),
        ])
        let record = try decode(row)
        switch try? row.string("action") {
        case "new": return .new(record)
        case "existing": return .existing(record)
        case "close_first": return .closeFirst(old: record)
        default: throw .unavailable("Begin returned an unknown action")
        }
    }

    /// Records the QR code of a successful precreate; it is handed out for `validitySeconds`.
    @discardableResult
    public func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int) throws(StoreError)
        -> PaymentRecord
    {
        try decode(singleRow(ProcedureNames.qrIssued, [.int(autoid), .string(codeURL), .int(Int64(validitySeconds))]))
    }

    /// Records a definite precreate refusal from Alipay (code/sub_code/msg as Alipay sent them).
    @discardableResult
    public func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?)
        throws(StoreError) -> PaymentRecord
    {
        try decode(singleRow(ProcedureNames.qrFailed, [.int(autoid), .optional(code), .optional(subCode),
                                                       .optional(message)]))
    }

    /// Records that the precreate outcome is unknown (timeout, transport failure, system error).
    @discardableResult
    public func recordUnknown(autoid: Int64, reason: String) throws(StoreError) -> PaymentRecord {
        try decode(singleRow(ProcedureNames.unknown, [.int(autoid), .string(reason)]))
    }

    /// Records that the trade was closed at Alipay. Throws `.alreadyPaid` if the payment got there first.
    @discardableResult
    public func recordClosed(autoid: Int64) throws(StoreError) -> PaymentRecord {
        try decode(singleRow(ProcedureNames.closed, [.int(autoid)]))
    }

    /// Records a payment exactly once, together with its receipt in the billtype's table, the card credit
    /// (billtype 7) and a PENDING callback. Returns true when this call recorded it, false when it was already
    /// recorded with the same trade number. Throws `.notFound` (unknown out_trade_no) or `.rule` (amount
    /// differs, or paid under another trade number); nothing changes then.
    public func recordPaid(
        outTradeNo: String, tradeNo: String, totalAmount: Money, paidAt: Date?, buyerID: String?,
        source: PaymentSource
    ) throws(StoreError) -> Bool {
        let row = try singleRow(ProcedureNames.paid, [
            .string(outTradeNo), .string(tradeNo), .decimal(totalAmount.description),
            paidAt.map(SQLValue.dateTime) ?? .null, .optional(buyerID), .string(source.rawValue),
        ])
        guard let changed = try? row.int64("changed") else { throw .unavailable("Paid returned no changed flag") }
        return changed == 1
    }

    /// The record with this autoid, nil if there is none.
    public func find(autoid: Int64) throws(StoreError) -> PaymentRecord? {
        try optionalRow(ProcedureNames.get, [.int(autoid)]).map { (row) throws(StoreError) in try decode(row) }
    }

    /// The bill's current record, nil if the bill has none.
    public func find(billtype: String, billnum: String) throws(StoreError) -> PaymentRecord? {
        try optionalRow(ProcedureNames.getByBill, [.string(billtype), .string(billnum)])
            .map { (row) throws(StoreError) in try decode(row) }
    }

    /// The record with this out_trade_no, nil if there is none.
    public func find(outTradeNo: String) throws(StoreError) -> PaymentRecord? {
        try optionalRow(ProcedureNames.getByTradeNo, [.string(outTradeNo)])
            .map { (row) throws(StoreError) in try decode(row) }
    }

    /// Names from `ProcedureNames.required` that do not exist in the connected database (empty = ready).
    public func missingProcedures() throws(StoreError) -> [String] {
        let query = "SELECT ROUTINE_NAME FROM information_schema.ROUTINES"
            + " WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE'"
        let sets = try withRetries { () throws(MariaDBError) -> [ResultSet] in
            try connection.execute(query, idempotent: true)
        }
        // Routine names are case-insensitive in MariaDB.
        var present: Set<String> = []
        for row in sets.first?.rows ?? [] {
            if let name = row.values.first ?? nil { present.insert(name.lowercased()) }
        }
        return ProcedureNames.required.filter { !present.contains($0.lowercased()) }
    }

    private func singleRow(_ procedure: String, _ arguments: [SQLValue]) throws(StoreError) -> Row {
        guard let row = try optionalRow(procedure, arguments) else {
            throw .unavailable("\(procedure) returned no row")
        }
        return row
    }

    private func optionalRow(_ procedure: String, _ arguments: [SQLValue]) throws(StoreError) -> Row? {
        try rows(procedure, arguments).first
    }

    /// The rows of the first result set of `procedure` (empty when it returns none).
    func rows(_ procedure: String, _ arguments: [SQLValue]) throws(StoreError) -> [Row] {
        let sets = try withRetries { () throws(MariaDBError) -> [ResultSet] in
            try connection.call(procedure, arguments)
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

    private func withRetries<Result>(_ body: () throws(MariaDBError) -> Result) throws(StoreError) -> Result {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error where error.isRetryable && attempt < maxAttempts {
                // 10, 20, 40, 80 ms, each scaled by 0.5…1.5 so that colliding workers spread out.
                let base = 0.01 * Double(1 << (attempt - 1))
                Thread.sleep(forTimeInterval: base * Double.random(in: 0.5...1.5))
                attempt += 1
            } catch {
                throw StoreError(error)
            }
        }
    }
}

@available(*, unavailable)
extension PaymentRecords: Sendable {}
