internal import MariaDB
import PaymentFlow

extension StoreError {
    /// Maps a database error. Deadlocks that survived the retries count as unavailable.
    init(_ error: MariaDBError) {
        switch error {
        case .rule(let code, let message):
            switch code {
            case RuleCode.alreadyPaid: self = .alreadyPaid(message)
            case RuleCode.notFound: self = .notFound
            case RuleCode.illegalTransition: self = .conflict(message)
            case RuleCode.notPaid: self = .refundRefused(.notPaid, message)
            case RuleCode.refundAmountMismatch: self = .refundRefused(.amountMismatch, message)
            case RuleCode.refundExceedsRemaining: self = .refundRefused(.exceedsRemaining, message)
            case RuleCode.cardBalanceTooLow: self = .refundRefused(.cardBalanceTooLow, message)
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

/// MYSQL_ERRNO values the procedures raise with SQLSTATE 45000 (sql/README.md).
enum RuleCode {
    static let alreadyPaid = 50001
    static let invalidArgument = 50002
    static let illegalTransition = 50003
    static let notFound = 50004
    static let amountMismatch = 50005
    static let notPaid = 50007
    static let refundAmountMismatch = 50008
    static let refundExceedsRemaining = 50009
    static let cardBalanceTooLow = 50010
    /// Strict-mode conversion errors: data too long, out of range, incorrect value, truncated, NULL.
    static let invalidValue: Set<Int> = [1406, 1264, 1366, 1292, 1048]
}
