/// A failure the service answers with an envelope: an `ErrorCode`, its errmsg and HTTP status.
///
/// Messages are meant for the cashier and are safe to log: they never hold keys, passwords, SQL or
/// whole bodies — at most a short, truncated excerpt of the client's own value.
public struct ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: ErrorCode
    /// The envelope's errmsg.
    public let message: String
    /// Every broken rule, in member order, when `code` is `.validationFailed`; empty otherwise.
    public let violations: [ValidationViolation]

    public init(_ code: ErrorCode, message: String? = nil, violations: [ValidationViolation] = []) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.violations = violations
    }

    /// The envelope's errcode.
    public var errcode: Int { code.rawValue }
    /// The HTTP status of the answer.
    public var httpStatus: Int { code.httpStatus }

    public var description: String { "errcode \(errcode): \(message)" }
}

extension ServiceError {
    /// 1001 with the reason the body could not be read (no body content beyond a short token).
    public static func bodyUnreadable(_ reason: String) -> ServiceError {
        ServiceError(.bodyUnreadable, message: "The request body could not be read: \(reason)")
    }

    /// 1002 reporting every violation; errmsg is the first one.
    public static func validationFailed(_ violations: [ValidationViolation]) -> ServiceError {
        ServiceError(.validationFailed, message: violations.first?.message, violations: violations)
    }

    /// 1003 for a charset the service cannot decode.
    public static func charsetUnsupported(_ charset: String) -> ServiceError {
        ServiceError(.charsetInvalid, message: "The charset '\(excerpt(charset))' is not supported; send UTF-8.")
    }

    /// 1003 for bytes that are not valid in the charset used to decode them.
    public static func bytesInvalid(charset: String) -> ServiceError {
        ServiceError(
            .charsetInvalid,
            message: "The request body is not valid \(excerpt(charset)) text; check the charset in the Content-Type header."
        )
    }

    /// 1004 naming the limit.
    public static func bodyTooLarge(limit: Int) -> ServiceError {
        ServiceError(.bodyTooLarge, message: "The request body is larger than \(limit) bytes.")
    }

    /// 1005; `mediaType` nil when the header was missing or unreadable.
    public static func unsupportedMediaType(_ mediaType: String?) -> ServiceError {
        let accepted = "send application/json, application/xml, application/x-www-form-urlencoded or application/bson."
        guard let mediaType else {
            return ServiceError(.unsupportedMediaType, message: "The request has a body but no valid Content-Type header; \(accepted)")
        }
        return ServiceError(.unsupportedMediaType, message: "The media type '\(excerpt(mediaType))' is not supported; \(accepted)")
    }

    /// 1006.
    public static let xmlDeclarationRefused = ServiceError(.xmlDeclarationRefused)
    /// 1007.
    public static let emptyBody = ServiceError(.emptyBody)
    /// 1404.
    public static let notFound = ServiceError(.notFound)
    /// 1405.
    public static let methodNotAllowed = ServiceError(.methodNotAllowed)
    /// 2001.
    public static let alreadyPaid = ServiceError(.alreadyPaid)

    /// 2002 with the store's own (business) message, when it gave one.
    public static func storeRefused(_ message: String?) -> ServiceError {
        guard let message, !TextRules.isBlank(message) else { return ServiceError(.storeRefused) }
        return ServiceError(.storeRefused, message: "The payment record was refused: \(message)")
    }

    /// 2003.
    public static let recordNotFound = ServiceError(.recordNotFound)
    /// 2004.
    public static let billBusy = ServiceError(.billBusy)

    /// 3001 carrying Alipay's sub_code and sub_msg (or code and msg when there is no sub_code).
    public static func gatewayRefused(code: String?, subCode: String?, subMessage: String?) -> ServiceError {
        let parts = [subCode ?? code, subMessage].compactMap { $0 }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { return ServiceError(.gatewayRefused) }
        return ServiceError(.gatewayRefused, message: "Alipay refused the payment: \(parts.joined(separator: " "))")
    }

    /// 3002.
    public static let gatewayOutcomeUnknown = ServiceError(.gatewayOutcomeUnknown)
    /// 3003.
    public static let gatewaySignatureInvalid = ServiceError(.gatewaySignatureInvalid)
    /// 3004.
    public static let gatewayAnswerMalformed = ServiceError(.gatewayAnswerMalformed)
    /// 4001.
    public static let databaseUnavailable = ServiceError(.databaseUnavailable)
    /// 4002.
    public static let gatewayUnavailable = ServiceError(.gatewayUnavailable)
    /// 5000.
    public static let internalError = ServiceError(.internalError)

    /// A client value shortened for an errmsg: at most 32 characters, then `…`.
    public static func excerpt(_ text: String, limit: Int = 32) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
