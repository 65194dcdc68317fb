/// The stable `errcode` values of the answer envelope, with their HTTP status and default message.
///
/// | errcode | HTTP | meaning |
/// |---|---|---|
/// | 0    | 200 | OK |
/// | 1001 | 200 | the request body could not be read (malformed JSON/XML/form/BSON, wrong XML root, object where text belongs, BSON Decimal128) |
/// | 1002 | 200 | validation failed; errmsg is the first violation in member order |
/// | 1003 | 200 | unsupported charset, or bytes invalid in the declared charset (incl. NUL characters), in a body or a query string |
/// | 1004 | 413 | request body too large |
/// | 1005 | 415 | unsupported or missing media type (Content-Type) |
/// | 1006 | 200 | XML DOCTYPE / entity declaration refused |
/// | 1007 | 200 | empty request body (also whitespace only, or JSON `null`) |
/// | 1008 | 400 | the HTTP request itself is malformed (request line or headers); answered by nginx |
/// | 1009 | 414 | the request URI is too long; answered by nginx |
/// | 1010 | 408 | the client sent its request too slowly; answered by nginx |
/// | 1011 | 429 | too many requests or connections from this address; answered by nginx |
/// | 1404 | 404 | no such resource |
/// | 1405 | 405 | method not allowed (only POST) |
/// | 2001 | 200 | the bill is already paid |
/// | 2002 | 200 | the payment store refused the request for another business rule |
/// | 2003 | 200 | payment record not found |
/// | 2004 | 200 | another request for the same bill is being processed right now — send the bill again |
/// | 2005 | 200 | the refund is larger than what is left to refund |
/// | 2006 | 200 | the refundno was used before with another amount |
/// | 2007 | 200 | the bill is not paid: nothing to refund |
/// | 2008 | 200 | the stored-value card's balance is lower than the refund |
/// | 2010 | 200 | the bill has no payable QR code (closed, expired, refused or not issued) — send the bill again |
/// | 3001 | 200 | Alipay refused (business error; errmsg carries sub_code/sub_msg) |
/// | 3002 | 200 | Alipay outcome unknown (timeout) — retry with the same bill |
/// | 3003 | 200 | Alipay answer failed signature verification — outcome unknown, retry with the same bill |
/// | 3004 | 200 | Alipay answer malformed |
/// | 4001 | 503 | database unavailable |
/// | 4002 | 503 | payment gateway unavailable or not configured |
/// | 4003 | 503 | the responder is restarting or overloaded — send the same bill again (nginx: 502 or 503) |
/// | 4004 | 504 | the service did not answer in time, outcome unknown — send the same bill again; answered by nginx |
/// | 5000 | 500 | internal error |
public enum ErrorCode: Int, Sendable, Hashable, CaseIterable {
    case ok = 0
    case bodyUnreadable = 1001
    case validationFailed = 1002
    case charsetInvalid = 1003
    case bodyTooLarge = 1004
    case unsupportedMediaType = 1005
    case xmlDeclarationRefused = 1006
    case emptyBody = 1007
    case requestMalformed = 1008
    case uriTooLong = 1009
    case requestTimedOut = 1010
    case tooManyRequests = 1011
    case notFound = 1404
    case methodNotAllowed = 1405
    case alreadyPaid = 2001
    case storeRefused = 2002
    case recordNotFound = 2003
    case billBusy = 2004
    case refundExceedsRemaining = 2005
    case refundNumberReused = 2006
    case notPaid = 2007
    case cardBalanceTooLow = 2008
    case noPayableCode = 2010
    case gatewayRefused = 3001
    case gatewayOutcomeUnknown = 3002
    case gatewaySignatureInvalid = 3003
    case gatewayAnswerMalformed = 3004
    case databaseUnavailable = 4001
    case gatewayUnavailable = 4002
    case serviceRestarting = 4003
    case serviceTimedOut = 4004
    case internalError = 5000

    /// The HTTP status the answer carries: 200 for business and validation outcomes, the protocol status otherwise.
    public var httpStatus: Int {
        switch self {
        case .requestMalformed: return 400
        case .uriTooLong: return 414
        case .requestTimedOut: return 408
        case .tooManyRequests: return 429
        case .bodyTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .databaseUnavailable, .gatewayUnavailable, .serviceRestarting: return 503
        case .serviceTimedOut: return 504
        case .internalError: return 500
        default: return 200
        }
    }

    /// A cashier-actionable English message used when no more specific text is given.
    public var defaultMessage: String {
        switch self {
        case .ok: return "OK"
        case .bodyUnreadable: return "The request body could not be read; check the JSON, XML, form or BSON syntax."
        case .validationFailed: return "The request is invalid."
        case .charsetInvalid: return "The request body is not valid text in its declared charset; send UTF-8."
        case .bodyTooLarge: return "The request body is too large."
        case .unsupportedMediaType:
            return "The request's media type is not supported; send application/json, application/xml, application/x-www-form-urlencoded or application/bson."
        case .xmlDeclarationRefused: return "XML with a DOCTYPE or entity declarations is refused; send the plain document."
        case .emptyBody: return "The request body is empty; send the payment parameters."
        case .requestMalformed: return "The HTTP request is malformed (request line or headers); fix the client."
        case .uriTooLong: return "The request URI is too long; send the payment parameters in the body."
        case .requestTimedOut: return "The request was sent too slowly; send it again."
        case .tooManyRequests: return "Too many requests or connections from this address; slow down and retry shortly."
        case .notFound: return "No such resource; check the address (POST api/3Pay/AliPay/ScanCode)."
        case .methodNotAllowed: return "Method not allowed; use POST."
        case .alreadyPaid: return "This bill has already been paid."
        case .storeRefused: return "The payment record was refused by the store; check the bill."
        case .recordNotFound: return "The payment record was not found; check the bill number."
        case .billBusy:
            return "Another request for this bill is being processed right now; send the same bill again."
        case .refundExceedsRemaining: return "The refund is larger than what is left to refund on this bill."
        case .refundNumberReused:
            return "This refundno is already taken by another refund; give this refund a new refundno."
        case .notPaid: return "This bill has not been paid; there is nothing to refund."
        case .cardBalanceTooLow:
            return "The stored-value card's balance is lower than the refund (the money has been spent); it cannot be refunded."
        case .noPayableCode:
            return "This bill has no payable QR code (closed, expired or not issued); send the bill again for a new one."
        case .gatewayRefused: return "Alipay refused the payment."
        case .gatewayOutcomeUnknown:
            return "The Alipay outcome is unknown (timeout); retry with the same bill number."
        case .gatewaySignatureInvalid:
            return "The Alipay answer failed signature verification; the outcome is unknown, retry with the same bill number."
        case .gatewayAnswerMalformed: return "The Alipay answer could not be read; retry with the same bill number."
        case .databaseUnavailable: return "The payment database is unavailable; try again shortly."
        case .gatewayUnavailable: return "The payment gateway is unavailable or not configured; try again later."
        case .serviceRestarting:
            return "The payment service is restarting or overloaded; send the same bill again shortly."
        case .serviceTimedOut:
            return "The payment service did not answer in time; the outcome is unknown, send the same bill again."
        case .internalError: return "An internal error occurred; try again or contact support."
        }
    }
}
