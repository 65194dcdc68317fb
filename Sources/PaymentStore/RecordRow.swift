import Foundation
internal import MariaDB
import PaymentFlow
import PaymentModel

/// Reads the record columns every procedure returns (the view V_3Pay_Offline_ReceiveMoney) into a record.
extension PaymentRecord {
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
        guard let status = PaymentStatus(rawValue: statusText) else { throw .usage("unknown status in record") }
        let sourceText = try row.string("paid_source")
        self.init(
            autoid: try required(row.int64("autoid"), "autoid"),
            billnum: try row.requiredString("billnum"),
            billtype: try row.requiredString("billtype"),
            body: try row.requiredString("body"),
            paytype: try row.requiredString("paytype"),
            paymentvalue: try required(money("paymentvalue"), "paymentvalue"),
            detail: try row.string("detail"),
            clientip: try row.requiredString("clientip"),
            cardno: try row.string("cardno"),
            outTradeNo: try row.requiredString("out_trade_no"),
            codeurl: try row.string("codeurl"),
            status: status,
            qrExpiresAt: try row.date("qr_expires_at"),
            gatewayCode: try row.string("gateway_code"),
            gatewaySubCode: try row.string("gateway_sub_code"),
            gatewayMessage: try row.string("gateway_msg"),
            tradeNo: try row.string("trade_no"),
            paidAmount: try money("paid_amount"),
            paidAt: try row.date("paid_at"),
            buyerID: try row.string("buyer_id"),
            paidSource: sourceText.flatMap(PaymentSource.init(rawValue:)),
            createdAt: try required(row.date("created_at"), "created_at"),
            updatedAt: try required(row.date("updated_at"), "updated_at"),
            refundedAmount: try money("refunded_amount") ?? Money(fen: 0)
        )
    }
}

extension CallbackJob {
    /// Reads one row of `Sp_3Pay_Callback_Claim`.
    init(row: Row) throws(MariaDBError) {
        func number(_ column: String) throws(MariaDBError) -> Int64 {
            guard let value = try row.int64(column) else { throw .usage("column \(column) is NULL") }
            return value
        }
        let amountText = try row.requiredString("paid_amount")
        guard let amount = Money(exactly: amountText) else { throw .usage("column paid_amount is not an amount") }
        let attempts = try number("attempts")
        guard let attemptCount = Int(exactly: attempts) else { throw .usage("column attempts is out of range") }
        self.init(
            id: try number("id"),
            attempts: attemptCount,
            autoid: try number("autoid"),
            billtype: try row.requiredString("billtype"),
            billnum: try row.requiredString("billnum"),
            outTradeNo: try row.requiredString("out_trade_no"),
            tradeNo: try row.requiredString("trade_no"),
            amount: amount,
            paidAt: try row.date("paid_at"),
            cardno: try row.string("cardno"),
            paytype: try row.requiredString("paytype"),
            refund: try RefundEvent(row: row)
        )
    }
}

extension RefundEvent {
    /// The refund columns of a claimed callback; nil for a payment's own callback (refund_id 0).
    init?(row: Row) throws(MariaDBError) {
        guard let id = try row.int64("refund_id"), id != 0 else { return nil }
        guard let amountText = try row.string("refund_amount"), let amount = Money(exactly: amountText),
              let totalText = try row.string("refunded_total_after"), let total = Money(exactly: totalText)
        else { throw .usage("refund callback \(id) has no amount") }
        self.init(
            refundID: id, refundno: try row.requiredString("refundno"), amount: amount,
            refundedAt: try row.date("refunded_at"), refundedTotal: total)
    }
}
