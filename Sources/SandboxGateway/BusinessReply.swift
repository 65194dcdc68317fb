import Alipay
import JSON

/// The content of one signed business answer: the `<method>_response` node before serialisation.
public struct BusinessReply: Sendable, Equatable {
    public var code: String
    public var msg: String
    public var subCode: String?
    public var subMsg: String?
    /// Operation fields after code/msg/sub_code/sub_msg.
    public var fields: [(String, JSONNode)]

    public static func == (lhs: BusinessReply, rhs: BusinessReply) -> Bool {
        JSONWriter.bytes(lhs.node) == JSONWriter.bytes(rhs.node)
    }

    /// A `10000 Success` answer carrying `fields`.
    public static func success(_ fields: [(String, JSONNode)]) -> BusinessReply {
        BusinessReply(code: "10000", msg: "Success", subCode: nil, subMsg: nil, fields: fields)
    }

    /// A `40004 Business Failed` answer with an `ACQ.*` sub code.
    public static func failure(
        _ subCode: BusinessFailure, detail: String? = nil, fields: [(String, JSONNode)] = []
    ) -> BusinessReply {
        let message = detail.map { "\(subCode.message): \($0)" } ?? subCode.message
        return BusinessReply(code: "40004", msg: "Business Failed", subCode: subCode.rawValue, subMsg: message,
                             fields: fields)
    }

    /// The node as a JSON object: code, msg, sub_code, sub_msg, then the fields sorted by name (as Alipay
    /// writes them).
    public var node: JSONNode {
        var members: [(String, JSONNode)] = [("code", .string(code)), ("msg", .string(msg))]
        if let subCode { members.append(("sub_code", .string(subCode))) }
        if let subMsg { members.append(("sub_msg", .string(subMsg))) }
        members.append(contentsOf: fields.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) })
        return .object(members)
    }

    /// The value of a field by name (tests and logging).
    public func field(_ name: String) -> String? {
        fields.first { $0.0 == name }?.1.scalarText
    }

    /// True for `code` 10000.
    public var isSuccess: Bool { code == "10000" }
}

/// The `ACQ.*` business sub codes the sandbox answers with.
public enum BusinessFailure: String, Sendable, CaseIterable {
    case invalidParameter = "ACQ.INVALID_PARAMETER"
    case tradeNotExist = "ACQ.TRADE_NOT_EXIST"
    case contextInconsistent = "ACQ.CONTEXT_INCONSISTENT"
    case tradeHasSuccess = "ACQ.TRADE_HAS_SUCCESS"
    case tradeHasClose = "ACQ.TRADE_HAS_CLOSE"
    case tradeStatusError = "ACQ.TRADE_STATUS_ERROR"
    case refundAmountExceeded = "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    case discordantRepeatRequest = "ACQ.DISCORDANT_REPEAT_REQUEST"
    case systemError = "ACQ.SYSTEM_ERROR"

    /// The sub_msg text, in the gateway's language.
    public var message: String {
        switch self {
        case .invalidParameter: return "参数无效"
        case .tradeNotExist: return "交易不存在"
        case .contextInconsistent: return "交易信息被篡改"
        case .tradeHasSuccess: return "交易已被支付"
        case .tradeHasClose: return "交易已经关闭"
        case .tradeStatusError: return "交易状态不合法"
        case .refundAmountExceeded: return "退款金额超限"
        case .discordantRepeatRequest: return "请求信息不一致"
        case .systemError: return "系统错误"
        }
    }
}
