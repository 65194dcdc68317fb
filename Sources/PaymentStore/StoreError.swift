import MariaDB

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

    /// Maps a database error. Deadlocks that survived the retries count as unavailable.
    init(_ error: MariaDBError) {
        switch error {
        case .rule(let code, let message):
            switch code {
            case RuleCode.alreadyPaid: self = .alreadyPaid(message)
            case RuleCode.notFound: self = .notFound
            default: self = .rule(message)
            }
        case .server(let code, _, _) where RuleCode.invalidValue.contains(code):
            // Strict mode refused a value before the procedure's own checks could run (e.g. far too long).
            self = .rule("a value is too long or not valid for the database (error \(code))")
        default:
            self = .unavailable(error.description)
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

/// MYSQL_ERRNO values the procedures raise with SQLSTATE 45000 (sql/README.md).
enum RuleCode {
    static let alreadyPaid = 50001
    static let invalidArgument = 50002
    static let illegalTransition = 50003
    static let notFound = 50004
    static let amountMismatch = 50005
    /// Strict-mode conversion errors: data too long, out of range, incorrect value, truncated, NULL.
    static let invalidValue: Set<Int> = [1406, 1264, 1366, 1292, 1048]
}
