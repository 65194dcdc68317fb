import Foundation
import MariaDB
import XCTest

/// Reads payment records straight from the stack's MariaDB, so that tests can check what a request
/// wrote (or that it wrote nothing) independently of the service's answer.
///
/// One probe owns one connection and, like `Connection`, belongs to one thread at a time.
final class DatabaseProbe {
    /// A payment record's columns as text (nil for SQL NULL).
    struct Record: Equatable, CustomStringConvertible {
        let autoid: String
        let billnum: String
        let billtype: String
        let body: String
        let paytype: String
        let paymentvalue: String
        let detail: String?
        let clientip: String
        let cardno: String?
        let outTradeNo: String?
        let codeurl: String?
        let status: String

        var description: String {
            "#\(autoid) \(billtype)/\(billnum) \(paymentvalue) \(status) \(outTradeNo ?? "-")"
        }
    }

    private let connection: Connection

    init() throws {
        connection = try Connection(settings: try DatabaseProbe.settings())
    }

    /// The stack's database: `THREEPAY_TEST_DB_SOCKET` (set by scripts/test.sh for the private
    /// instance), else the `THREEPAY_DB_*` settings, else `<state dir>/mariadb.sock`. The user is
    /// `THREEPAY_DB_USER` or the login name (unix_socket authentication).
    static func settings() throws -> ConnectionSettings {
        let environment = ProcessInfo.processInfo.environment
        if let socket = environment["THREEPAY_TEST_DB_SOCKET"], !socket.isEmpty {
            let user = environment["THREEPAY_DB_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.userName
            return ConnectionSettings(
                endpoint: .unixSocket(path: socket), user: user,
                database: environment["THREEPAY_DB_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "threepay")
        }
        return try ConnectionSettings.fromEnvironment(defaultSocketPath: TestStack.stateDir + "/mariadb.sock")
    }

    /// Every record whose billnum equals `billnum` (any billtype), oldest first.
    ///
    /// The column's collation ignores trailing spaces, so callers compare `Record.billnum` themselves
    /// when that matters.
    func records(billnum: String) throws -> [Record] {
        let sets = try connection.execute(
            """
            SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno,
                   out_trade_no, codeurl, status
              FROM T_3Pay_Offline_ReceiveMoney WHERE billnum = ? ORDER BY autoid
            """,
            [.string(billnum)])
        return try (sets.first?.rows ?? []).map { row in
            Record(
                autoid: try row.requiredString("autoid"), billnum: try row.requiredString("billnum"),
                billtype: try row.requiredString("billtype"), body: try row.requiredString("body"),
                paytype: try row.requiredString("paytype"), paymentvalue: try row.requiredString("paymentvalue"),
                detail: try row.string("detail"), clientip: try row.requiredString("clientip"),
                cardno: try row.string("cardno"), outTradeNo: try row.string("out_trade_no"),
                codeurl: try row.string("codeurl"), status: try row.requiredString("status"))
        }
    }

    /// How many records any of `billnums` has (0 means the request wrote nothing).
    func count(billnums: [String]) throws -> Int {
        var total = 0
        for billnum in Set(billnums) where !billnum.isEmpty {
            total += try records(billnum: billnum).count
        }
        return total
    }
}
