import Alipay
import CivilTime
import Foundation
import JSON
import PaymentModel

/// The JSON form of a trade, shared by the control API and the state file.
public enum TradeJSON {
    /// A state file entry that could not be read back.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func encode(_ trade: SandboxTrade) -> JSONNode {
        var members: [(String, JSONNode)] = [
            ("out_trade_no", .string(trade.outTradeNo)),
            ("total_amount", .string(trade.totalAmount.description)),
            ("subject", .string(trade.subject)),
        ]
        func optional(_ name: String, _ value: String?) {
            if let value { members.append((name, .string(value))) }
        }
        func time(_ name: String, _ value: Date?) { optional(name, value.map(CivilTimeText.china.format)) }
        optional("body", trade.body)
        optional("store_id", trade.storeID)
        optional("terminal_id", trade.terminalID)
        members.append(("qr_code", .string(trade.qrCode)))
        members.append(("status", .string(trade.status.rawValue)))
        optional("notify_url", trade.notifyURL)
        time("created_at", trade.createdAt)
        time("expires_at", trade.expiresAt)
        time("scanned_at", trade.scannedAt)
        time("paid_at", trade.paidAt)
        time("closed_at", trade.closedAt)
        optional("close_reason", trade.closeReason?.rawValue)
        optional("trade_no", trade.tradeNo)
        optional("buyer_id", trade.buyerID)
        optional("buyer_logon_id", trade.buyerLogonID)
        members.append(("precreate_count", .number(String(trade.precreateCount))))
        members.append(("refunded_amount", .string(trade.refundedAmount.description)))
        members.append(("refunds", .array(trade.refunds.map(encode))))
        return .object(members)
    }

    public static func decode(_ value: JSONNode) throws(DecodingError) -> SandboxTrade {
        func text(_ name: String) -> String? { value[name]?.scalarText }
        func required(_ name: String) throws(DecodingError) -> String {
            guard let text = text(name) else { throw DecodingError(description: "trade without \(name)") }
            return text
        }
        func time(_ name: String) throws(DecodingError) -> Date? {
            guard let raw = text(name) else { return nil }
            guard let date = CivilTimeText.china.parse(raw) else { throw DecodingError(description: "bad \(name)") }
            return date
        }
        let outTradeNo = try required("out_trade_no")
        guard let amount = Money(exactly: try required("total_amount")),
              let status = SandboxTradeStatus(rawValue: try required("status")),
              let createdAt = try time("created_at"), let expiresAt = try time("expires_at")
        else { throw DecodingError(description: "trade \(outTradeNo) has an invalid amount, status or time") }
        var refunds: [SandboxRefund] = []
        if case .array(let items)? = value["refunds"] {
            for item in items { refunds.append(try decodeRefund(item)) }
        }
        return SandboxTrade(
            outTradeNo: outTradeNo, totalAmount: amount, subject: try required("subject"), body: text("body"),
            storeID: text("store_id"), terminalID: text("terminal_id"), qrCode: try required("qr_code"),
            status: status, notifyURL: text("notify_url"), createdAt: createdAt, expiresAt: expiresAt,
            scannedAt: try time("scanned_at"), paidAt: try time("paid_at"), closedAt: try time("closed_at"),
            closeReason: text("close_reason").flatMap(SandboxCloseReason.init(rawValue:)), tradeNo: text("trade_no"),
            buyerID: text("buyer_id"), buyerLogonID: text("buyer_logon_id"),
            precreateCount: text("precreate_count").flatMap { Int($0) } ?? 1, refunds: refunds)
    }

    private static func encode(_ refund: SandboxRefund) -> JSONNode {
        var members: [(String, JSONNode)] = [
            ("out_request_no", .string(refund.outRequestNo)),
            ("amount", .string(refund.amount.description)),
            ("at", .string(CivilTimeText.china.format(refund.at))),
        ]
        if let reason = refund.reason { members.append(("reason", .string(reason))) }
        return .object(members)
    }

    private static func decodeRefund(_ value: JSONNode) throws(DecodingError) -> SandboxRefund {
        guard let requestNo = value["out_request_no"]?.scalarText,
              let amount = value["amount"]?.scalarText.flatMap({ Money(exactly: $0) }),
              let at = value["at"]?.scalarText.flatMap(CivilTimeText.china.parse)
        else { throw DecodingError(description: "refund entry is incomplete") }
        return SandboxRefund(outRequestNo: requestNo, amount: amount, reason: value["reason"]?.scalarText, at: at)
    }
}
