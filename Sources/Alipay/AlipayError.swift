/// How an Alipay OpenAPI call failed. Safe to print: Alipay's codes and messages, never keys or bodies.
///
/// For order state, three groups matter:
/// - **Outcome unknown** (`outcomeUnknown`, `invalidSignature`, `malformedResponse`): the call may
///   or may not have taken effect; keep the order pending and query (or cancel) later.
///   `outcomeIsUnknown` is true for exactly these.
/// - **Verified refusal** (`business`): Alipay signed the answer; the call did not take effect.
/// - **Unverified refusal** (`unsignedBusiness`, `missingSignature`): a reply without a signature.
///   It did not prove anything; treat it as a failed attempt that must not move an order to a
///   final state. A `10000` without a signature is never success (`missingSignature`).
public enum AlipayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Transport failure, timeout, HTTP status other than 200, code `20000`, or `ACQ.SYSTEM_ERROR`; `cause` says
    /// which, in words a cashier can be told.
    case outcomeUnknown(UnknownCause, reason: String)
    /// A signed, verified non-success answer (e.g. `40004` / `ACQ.TRADE_NOT_EXIST`).
    case business(code: String, msg: String, subCode: String?, subMsg: String?)
    /// A non-success answer that carried no signature (typically gateway-level `error_response`).
    case unsignedBusiness(code: String, msg: String, subCode: String?, subMsg: String?)
    /// The reply carried a signature that does not verify with the Alipay public key. Treated as a
    /// transport failure: nothing in the reply is trusted and the outcome is unknown.
    case invalidSignature
    /// The reply claims success (`10000`) but carries no signature.
    case missingSignature
    /// The reply could not be understood (no response node, bad JSON, missing or inconsistent fields).
    case malformedResponse(String)
    /// The request could not be built (bad argument or signing failure); nothing was sent.
    case invalidRequest(String)
    /// The request's time ran out before the call could be made; nothing was sent.
    case notSent(String)
    /// Too many calls are already waiting on a slow gateway: this one was not sent.
    case congested

    /// True when the caller cannot know whether the call took effect and must query later.
    public var outcomeIsUnknown: Bool {
        switch self {
        case .outcomeUnknown, .invalidSignature, .malformedResponse: true
        case .business, .unsignedBusiness, .missingSignature, .invalidRequest, .notSent, .congested: false
        }
    }

    public var description: String {
        switch self {
        case .outcomeUnknown(_, let reason):
            "Alipay outcome unknown: \(reason)"
        case .business(let code, let msg, let subCode, let subMsg):
            "Alipay refused: \(Self.describe(code, msg, subCode, subMsg))"
        case .unsignedBusiness(let code, let msg, let subCode, let subMsg):
            "Alipay refused (unsigned reply): \(Self.describe(code, msg, subCode, subMsg))"
        case .invalidSignature:
            "Alipay reply signature does not verify"
        case .missingSignature:
            "Alipay success reply carries no signature"
        case .malformedResponse(let reason):
            "Alipay reply malformed: \(reason)"
        case .notSent(let reason):
            "Alipay call not made: \(reason)"
        case .congested:
            "Alipay call not made: too many calls are waiting on the gateway"
        case .invalidRequest(let reason):
            "Alipay request not sent: \(reason)"
        }
    }

    private static func describe(_ code: String, _ msg: String, _ subCode: String?, _ subMsg: String?) -> String {
        var text = "\(code) \(msg)"
        if let subCode { text += " / \(subCode)" }
        if let subMsg { text += " (\(subMsg))" }
        return text
    }
}

/// Why the outcome of a call is unknown.
public enum UnknownCause: Sendable, Equatable {
    /// No complete answer within the time allowed.
    case timeout
    /// The gateway answered with this HTTP status instead of 200.
    case httpStatus(Int)
    /// The connection could not be made, was reset or failed (TLS, network).
    case connection
    /// Alipay answered that it could not process the call just now (`20000`, `ACQ.SYSTEM_ERROR`).
    case gatewayBusy
}
