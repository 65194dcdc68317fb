import CivilTime
import Foundation

extension TradeTransitions {
    /// Query: unknown or never-scanned trades do not exist at Alipay; otherwise the status and, once paid,
    /// the payment details.
    public static func query(
        _ trade: SandboxTrade?, _ reference: TradeLookup, includeFundBills: Bool
    ) -> BusinessReply {
        guard let trade, trade.isKnownToAlipay else {
            return .failure(.tradeNotExist, fields: echo(trade, reference))
        }
        let paid = trade.paidAt != nil
        let received = paid ? trade.totalAmount : .init(fen: 0)
        var fields = echo(trade, reference) + [
            ("trade_status", .string(trade.status.rawValue)),
            amount("total_amount", trade.totalAmount),
            amount("receipt_amount", received),
            amount("buyer_pay_amount", received),
            amount("invoice_amount", received),
            amount("point_amount", .init(fen: 0)),
        ]
        if let buyerLogonID = trade.buyerLogonID { fields.append(("buyer_logon_id", .string(buyerLogonID))) }
        if let buyerID = trade.buyerID { fields.append(("buyer_user_id", .string(buyerID))) }
        if let paidAt = trade.paidAt { fields.append(("send_pay_date", .string(CivilTimeText.china.format(paidAt)))) }
        if let storeID = trade.storeID { fields.append(("store_id", .string(storeID))) }
        if let terminalID = trade.terminalID { fields.append(("terminal_id", .string(terminalID))) }
        if paid, includeFundBills {
            fields.append(("fund_bill_list", .array([.object([
                ("amount", .string(trade.totalAmount.description)),
                ("fund_channel", .string("ALIPAYACCOUNT")),
            ])])))
        }
        return .success(fields)
    }
}
