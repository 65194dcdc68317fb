import Foundation
internal import MariaDB
public import PaymentFlow
public import PaymentModel

/// Refunds through the procedures of sql/050_refunds.sql.
extension PaymentRecords {
    public func beginRefund(_ request: RefundRequest, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError)
        -> RefundBeginOutcome
    {
        let (autoid, billtype, billnum): (SQLValue, SQLValue, SQLValue) = switch request.lookup {
        case .autoid(let autoid): (.int(autoid), .null, .null)
        case .bill(let billtype, let billnum): (.null, .string(billtype), .string(billnum))
        }
        let row = try singleRow(ProcedureNames.refundBegin, [
            autoid, billtype, billnum, .string(request.refundno), .decimal(request.amount.description),
            .optional(request.reason), .int(Int64(min(max(leaseMilliseconds, 1), 600_000))),
            .optional(request.leaseToken),
        ], deadline: deadline)
        let refund = try decodeRefund(row)
        switch try? row.string("action") {
        case "call": return .callAlipay(refund)
        case "query": return .query(refund)
        case "done": return .done(refund)
        case "busy": return .busy(refund)
        default: throw .unavailable("Refund_Begin returned an unknown action")
        }
    }

    public func recordRefunded(refundID: Int64, refundedAt: Date?, deadline: Deadline) throws(StoreError)
        -> RefundRecord
    {
        try decodeRefund(singleRow(ProcedureNames.refundRefunded, [
            .int(refundID), refundedAt.map(SQLValue.dateTime) ?? .null,
        ], deadline: deadline))
    }

    public func recordRefundFailed(refundID: Int64, code: String?, subCode: String?, message: String?,
                                   deadline: Deadline) throws(StoreError) -> RefundRecord
    {
        try decodeRefund(singleRow(ProcedureNames.refundFailed, [
            .int(refundID), .optional(code), .optional(subCode), .optional(message),
        ], deadline: deadline))
    }

    public func recordRefundPending(refundID: Int64, reason: String, deadline: Deadline) throws(StoreError)
        -> RefundRecord
    {
        try decodeRefund(singleRow(ProcedureNames.refundPending, [.int(refundID), .string(reason)], deadline: deadline))
    }

    public func recordExternalRefund(outTradeNo: String, outRequestNo: String, amount: Money?, refundedAt: Date?,
                                     source: ExternalRefundSource, deadline: Deadline) throws(StoreError)
        -> RefundRecord?
    {
        let rows = try rows(ProcedureNames.refundReported, [
            .string(outTradeNo), .string(outRequestNo), amount.map { .decimal($0.description) } ?? .null,
            refundedAt.map(SQLValue.dateTime) ?? .null, .string(source.rawValue),
        ], deadline: deadline)
        return try rows.first.map { (row) throws(StoreError) in try decodeRefund(row) }
    }

    /// The refunds to settle as a DBA sees them (nothing is claimed).
    public func staleRefunds(limit: Int, deadline: Deadline) throws(StoreError) -> [RefundRecord] {
        try decodeRefunds(rows(ProcedureNames.refundStale, [.int(Int64(limit))], deadline: deadline))
    }

    public func claimStaleRefunds(limit: Int, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError)
        -> [RefundRecord]
    {
        try decodeRefunds(rows(
            ProcedureNames.refundClaimStale, [.int(Int64(limit)), .int(Int64(leaseMilliseconds))], deadline: deadline))
    }

    private func decodeRefunds(_ rows: [Row]) throws(StoreError) -> [RefundRecord] {
        var refunds: [RefundRecord] = []
        for row in rows {
            refunds.append(try decodeRefund(row))
        }
        return refunds
    }

    /// The refund with this id, nil if there is none.
    public func findRefund(id: Int64, deadline: Deadline) throws(StoreError) -> RefundRecord? {
        try rows(ProcedureNames.refundGet, [.int(id)], deadline: deadline).first
            .map { (row) throws(StoreError) in try decodeRefund(row) }
    }

    private func decodeRefund(_ row: Row) throws(StoreError) -> RefundRecord {
        do {
            return try RefundRecord(row: row)
        } catch {
            throw .unavailable(error.description)
        }
    }
}

extension RefundRecord {
    /// Reads the columns of `V_3Pay_Offline_Refund`.
    init(row: Row) throws(MariaDBError) {
        func money(_ column: String) throws(MariaDBError) -> Money? {
            guard let text = try row.string(column) else { return nil }
            guard let amount = Money(exactly: text) else { throw .usage("column \(column) is not an amount") }
            return amount
        }
        func required<Value>(_ value: Value?, _ column: String) throws(MariaDBError) -> Value {
            guard let value else { throw .usage("column \(column) is NULL") }
            return value
        }
        let statusText = try row.requiredString("status")
        guard let status = RefundStatus(rawValue: statusText) else { throw .usage("unknown refund status") }
        self.init(
            refundID: try required(row.int64("refund_id"), "refund_id"),
            autoid: try required(row.int64("autoid"), "autoid"),
            billtype: try row.requiredString("billtype"),
            billnum: try row.requiredString("billnum"),
            refundno: try row.requiredString("refundno"),
            outRequestNo: try row.requiredString("out_request_no"),
            amount: try required(money("amount"), "amount"),
            reason: try row.string("reason"),
            status: status,
            gatewayCode: try row.string("gateway_code"),
            gatewaySubCode: try row.string("gateway_sub_code"),
            gatewayMessage: try row.string("gateway_msg"),
            refundedAt: try row.date("refunded_at"),
            refundedTotalAfter: try money("refunded_total_after"),
            outTradeNo: try row.requiredString("out_trade_no"),
            tradeNo: try row.string("trade_no"),
            paidAmount: try money("paid_amount"),
            refundedTotal: try required(money("refunded_total"), "refunded_total"))
    }
}
