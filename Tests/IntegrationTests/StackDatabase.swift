import Foundation
import MariaDB
import TestSupport

/// Reads the stack's MariaDB directly, so that tests can check what a request, a notification or the sweep
/// wrote (or that it wrote nothing) independently of the service's answers: payment records, receipts, card
/// credits and the callback outbox. It also moves records back in time for the sweep.
///
/// One probe owns one connection and, like `Connection`, belongs to one thread at a time.
final class StackDatabase {
    /// A row's columns as text; SQL NULL columns are absent.
    typealias Columns = [String: String]

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

        init(_ columns: Columns) throws {
            func required(_ name: String) throws -> String {
                guard let value = columns[name] else { throw TestFailure("record without \(name): \(columns)") }
                return value
            }
            autoid = try required("autoid")
            billnum = try required("billnum")
            billtype = try required("billtype")
            body = try required("body")
            paytype = try required("paytype")
            paymentvalue = try required("paymentvalue")
            detail = columns["detail"]
            clientip = try required("clientip")
            cardno = columns["cardno"]
            outTradeNo = columns["out_trade_no"]
            codeurl = columns["codeurl"]
            status = try required("status")
        }

        var description: String {
            "#\(autoid) \(billtype)/\(billnum) \(paymentvalue) \(status) \(outTradeNo ?? "-")"
        }
    }

    /// The receipt table of each billtype (sql/020_receipts.sql).
    static let receiptTables: [String: String] = [
        "1": "T_3Pay_Receipt_Scenic", "2": "T_3Pay_Receipt_Pos", "3": "T_3Pay_Receipt_CarRental",
        "4": "T_3Pay_Receipt_EcoCar", "5": "T_3Pay_Receipt_EquipmentRental", "6": "T_3Pay_Receipt_JointRetail",
        "7": "T_3Pay_Receipt_StoredValueCard",
    ]

    let connection: Connection

    init() throws {
        connection = try Connection(settings: try StackDatabase.settings())
    }

    /// The stack's database (`TestDatabaseSettings`); by default the private instance in the state folder.
    static func settings() throws -> ConnectionSettings {
        try TestDatabaseSettings.fromEnvironment(defaultSocketPath: TestStack.stateDir + "/mariadb.sock")
    }

    /// The rows of the statement's first result set.
    func rows(_ sql: String, _ arguments: [SQLValue] = []) throws -> [Columns] {
        let sets = try connection.execute(sql, arguments)
        return (sets.first?.rows ?? []).map { row in
            var columns: Columns = [:]
            for (name, value) in zip(row.columns, row.values) { columns[name] = value }
            return columns
        }
    }

    // MARK: Payment records

    /// Every record whose billnum equals `billnum` (any billtype), oldest first.
    ///
    /// The column's collation ignores trailing spaces, so callers compare `Record.billnum` themselves
    /// when that matters.
    func records(billnum: String) throws -> [Record] {
        try rows("SELECT * FROM T_3Pay_Offline_ReceiveMoney WHERE billnum = ? ORDER BY autoid", [.string(billnum)])
            .map(Record.init)
    }

    /// How many records any of `billnums` has (0 means the request wrote nothing).
    func count(billnums: [String]) throws -> Int {
        var total = 0
        for billnum in Set(billnums) where !billnum.isEmpty {
            total += try records(billnum: billnum).count
        }
        return total
    }

    func record(autoid: Int64) throws -> Columns? {
        try rows("SELECT * FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = ?", [.int(autoid)]).first
    }

    /// Every record of the bill, oldest first.
    func records(billtype: String, billnum: String) throws -> [Columns] {
        try rows(
            "SELECT * FROM T_3Pay_Offline_ReceiveMoney WHERE billtype = ? AND billnum = ? ORDER BY autoid",
            [.string(billtype), .string(billnum)])
    }

    /// Moves the records' times back as if they had been created `minutes` ago; a QR code they have is made
    /// to have expired a minute ago. The sweep then treats them as stale.
    func age(_ autoids: [Int64], minutes: Int = 20) throws {
        for autoid in autoids {
            _ = try connection.execute(
                """
                UPDATE T_3Pay_Offline_ReceiveMoney
                   SET created_at = created_at - INTERVAL ? MINUTE,
                       updated_at = updated_at - INTERVAL ? MINUTE,
                       qr_expires_at = IF(qr_expires_at IS NULL, NULL, UTC_TIMESTAMP() - INTERVAL 1 MINUTE)
                 WHERE autoid = ?
                """,
                [.int(Int64(minutes)), .int(Int64(minutes)), .int(autoid)])
        }
    }

    // MARK: Receipts, cards, callbacks

    /// How many receipts each receipt table holds for the payment record.
    func receiptCounts(autoid: Int64) throws -> [String: Int] {
        let found = try rows(
            """
            SELECT 'T_3Pay_Receipt_Scenic' AS t, COUNT(*) AS n FROM T_3Pay_Receipt_Scenic WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_Pos', COUNT(*) FROM T_3Pay_Receipt_Pos WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_CarRental', COUNT(*) FROM T_3Pay_Receipt_CarRental WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_EcoCar', COUNT(*) FROM T_3Pay_Receipt_EcoCar WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_EquipmentRental', COUNT(*) FROM T_3Pay_Receipt_EquipmentRental WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_JointRetail', COUNT(*) FROM T_3Pay_Receipt_JointRetail WHERE autoid = ?
            UNION ALL SELECT 'T_3Pay_Receipt_StoredValueCard', COUNT(*) FROM T_3Pay_Receipt_StoredValueCard WHERE autoid = ?
            """,
            Array(repeating: .int(autoid), count: 7))
        var counts: [String: Int] = [:]
        for row in found { counts[row["t"] ?? "?"] = Int(row["n"] ?? "") ?? -1 }
        return counts
    }

    /// The payment's receipt in `table` (one of `receiptTables`' values).
    func receipt(table: String, autoid: Int64) throws -> Columns? {
        guard let sql = StackDatabase.receiptQueries[table] else { throw TestFailure("no receipt table \(table)") }
        return try rows(sql, [.int(autoid)]).first
    }

    // Constant SQL per table: a table name is never spliced in at run time.
    private static let receiptQueries: [String: String] = Dictionary(uniqueKeysWithValues: [
        ("T_3Pay_Receipt_Scenic", "SELECT * FROM T_3Pay_Receipt_Scenic WHERE autoid = ?"),
        ("T_3Pay_Receipt_Pos", "SELECT * FROM T_3Pay_Receipt_Pos WHERE autoid = ?"),
        ("T_3Pay_Receipt_CarRental", "SELECT * FROM T_3Pay_Receipt_CarRental WHERE autoid = ?"),
        ("T_3Pay_Receipt_EcoCar", "SELECT * FROM T_3Pay_Receipt_EcoCar WHERE autoid = ?"),
        ("T_3Pay_Receipt_EquipmentRental", "SELECT * FROM T_3Pay_Receipt_EquipmentRental WHERE autoid = ?"),
        ("T_3Pay_Receipt_JointRetail", "SELECT * FROM T_3Pay_Receipt_JointRetail WHERE autoid = ?"),
        ("T_3Pay_Receipt_StoredValueCard", "SELECT * FROM T_3Pay_Receipt_StoredValueCard WHERE autoid = ?"),
    ])

    /// The card's balance as text (`12.34`), nil when the card has never been credited.
    func cardBalance(_ cardno: String) throws -> String? {
        try rows("SELECT balance FROM T_3Pay_StoredValueCard WHERE cardno = ?", [.string(cardno)]).first?["balance"]
    }

    func creditCount(autoid: Int64) throws -> Int {
        Int(try rows("SELECT COUNT(*) AS n FROM T_3Pay_StoredValueCard_Credit WHERE autoid = ?", [.int(autoid)])
            .first?["n"] ?? "") ?? -1
    }

    func creditCount(cardno: String) throws -> Int {
        Int(try rows("SELECT COUNT(*) AS n FROM T_3Pay_StoredValueCard_Credit WHERE cardno = ?", [.string(cardno)])
            .first?["n"] ?? "") ?? -1
    }

    /// The payment's callback outbox rows (at most one by the schema).
    func outbox(autoid: Int64) throws -> [Columns] {
        try rows("SELECT * FROM T_3Pay_Callback_Outbox WHERE autoid = ?", [.int(autoid)])
    }
}
