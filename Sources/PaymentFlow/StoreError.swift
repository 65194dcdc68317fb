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

    /// The text behind the error.
    public var message: String {
        switch self {
        case .alreadyPaid(let text), .rule(let text), .unavailable(let text): return text
        case .notFound: return "payment record not found"
        }
    }
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .alreadyPaid: return "payment store: already paid"
        case .rule: return "payment store: refused by a rule"
        case .unavailable(let reason): return "payment store unavailable: \(reason)"
        case .notFound: return "payment store: record not found"
        }
    }
}
