public import Alipay
public import PaymentModel

extension ServiceError {
    /// 3002 saying why the outcome is unknown, in words a cashier can act on.
    public static func gatewayOutcomeUnknown(_ cause: UnknownCause) -> ServiceError {
        ServiceError(
            .gatewayOutcomeUnknown, message: "The outcome is unknown: \(cause.explanation). Send the same bill again.")
    }

    /// 3002 for a refund whose outcome is unknown: the refund is pending until a refund query settles it.
    static func refundOutcomeUnknown(_ cause: UnknownCause?) -> ServiceError {
        let why = cause?.explanation ?? "Alipay has not settled it yet"
        return ServiceError(
            .gatewayOutcomeUnknown,
            message: "The refund's outcome is unknown: \(why). It is pending; send the same refundno again to learn the outcome.")
    }

    /// 4002 for a call not made because too many requests are already waiting on a slow gateway.
    static let gatewayCongested = ServiceError(
        .gatewayUnavailable,
        message: "Alipay is answering slowly and too many requests are waiting on it; nothing was sent. Try again shortly.")

    /// 3002 for a request whose time ran out before Alipay was called: nothing happened there.
    static let ranOutBeforeAlipay = ServiceError(
        .gatewayOutcomeUnknown,
        message: "The request ran out of time before Alipay could be asked; nothing was charged. Send the same bill again.")
}

extension UnknownCause {
    /// Why an outcome is unknown, for an errmsg.
    var explanation: String {
        switch self {
        case .timeout: "Alipay did not answer in time"
        case .httpStatus(let status): "Alipay's gateway answered HTTP \(status) instead of a result"
        case .connection: "the connection to Alipay failed (refused or reset)"
        case .gatewayBusy: "Alipay could not process the request just now"
        }
    }
}
