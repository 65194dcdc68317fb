/// Why the payment store refused or failed a call.
///
/// `description` never includes the message (it may quote a bill number); `message` gives the English text
/// written in sql/, suitable for an errmsg.
public enum StoreError: Error, Sendable, Equatable {
    /// The bill or trade is already paid (MYSQL_ERRNO 50001).
    case alreadyPaid(String)
    /// A rule refused the call: invalid argument, status that does not allow it, amount mismatch.
    case rule(String)
    /// The database cannot be used right now (connection lost and not regained, persistent lock conflicts,
    /// unexpected server error). The reason names the error kind and number only.
    case unavailable(String)
    /// No record with that autoid / out_trade_no (MYSQL_ERRNO 50004).
    case notFound
    /// The record changed under the call (another request got there first: MYSQL_ERRNO 50003); sending the
    /// request again sees the new state.
    case conflict(String)
    /// A refund refused before Alipay is called (MYSQL_ERRNO 50007–50010).
    case refundRefused(RefundRefusal, String)

    /// The text behind the error.
    public var message: String {
        switch self {
        case .alreadyPaid(let text), .rule(let text), .unavailable(let text), .conflict(let text),
             .refundRefused(_, let text): return text
        case .notFound: return "payment record not found"
        }
    }
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .alreadyPaid: return "payment store: already paid"
        case .rule: return "payment store: refused by a rule"
        case .conflict: return "payment store: the record changed meanwhile"
        case .unavailable(let reason): return "payment store unavailable: \(reason)"
        case .notFound: return "payment store: record not found"
        case .refundRefused(let refusal, _): return "payment store: refund refused (\(refusal))"
        }
    }
}

/// Why the database refused a refund before Alipay was called.
public enum RefundRefusal: Sendable, Equatable {
    /// The bill was never paid (50007).
    case notPaid
    /// The refundno is taken: used before with another amount, or a refund Alipay reported has it (50008).
    case amountMismatch
    /// More than what is left to refund (50009).
    case exceedsRemaining
    /// The stored-value card holds less than the refund: the money has been spent (50010).
    case cardBalanceTooLow
}
