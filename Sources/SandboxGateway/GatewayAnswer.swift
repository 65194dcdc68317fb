import Alipay
import Foundation
import JSON

/// What `/gateway.do` answers before it is serialised and signed.
public enum GatewayAnswer: Sendable, Equatable {
    /// A gateway-level refusal (missing or invalid common parameters, bad signature): `error_response`,
    /// never signed.
    case gatewayError(GatewayError)
    /// A business answer for `method`, signed over the exact node text.
    case business(method: String, reply: BusinessReply)
}

/// A gateway-level error: 40001/40002 with an `isv.*` sub code.
public struct GatewayError: Sendable, Equatable {
    public let code: String
    public let msg: String
    public let subCode: String
    public let subMsg: String

    /// 40001 Missing Required Arguments for the common parameter `name`.
    public static func missing(_ name: String) -> GatewayError {
        let subCode: String
        switch name {
        case "sign": subCode = "isv.missing-signature"
        case "sign_type": subCode = "isv.missing-signature-type"
        default: subCode = "isv.missing-" + name.replacingOccurrences(of: "_", with: "-")
        }
        return GatewayError(code: "40001", msg: "Missing Required Arguments", subCode: subCode,
                            subMsg: "缺少必选参数\(name)")
    }

    /// 40002 Invalid Arguments with `subCode`.
    public static func invalid(_ subCode: String, _ subMsg: String) -> GatewayError {
        GatewayError(code: "40002", msg: "Invalid Arguments", subCode: subCode, subMsg: subMsg)
    }

    /// The `error_response` node.
    public var node: JSONNode {
        .object([
            ("code", .string(code)), ("msg", .string(msg)),
            ("sub_code", .string(subCode)), ("sub_msg", .string(subMsg)),
        ])
    }
}

/// How the signature of a business answer is written: correctly, corrupted, or left out (fault injection).
public enum ResponseSigning: Sendable, Equatable {
    case valid
    case corrupted
    case omitted
}
