public import Alipay
public import PaymentModel

extension ServiceError {
    /// 3002 saying why the outcome is unknown, in words a cashier can act on.
    public static func gatewayOutcomeUnknown(_ cause: UnknownCause) -> ServiceError {
        let why = switch cause {
        case .timeout: "Alipay did not answer in time"
        case .httpStatus(let status): "Alipay's gateway answered HTTP \(status) instead of a result"
        case .connection: "the connection to Alipay failed (refused or reset)"
        case .gatewayBusy: "Alipay could not process the request just now"
        }
        return ServiceError(
            .gatewayOutcomeUnknown, message: "The outcome is unknown: \(why). Send the same bill again.")
    }

    /// 3002 for a request whose time ran out before Alipay was called: nothing happened there.
    static let requestTimedOut = ServiceError(
        .gatewayOutcomeUnknown,
        message: "The request ran out of time before Alipay could be asked; nothing was charged. Send the same bill again.")
}
