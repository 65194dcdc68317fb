import Foundation
import MariaDB

/// Reads what a payment left in the stack's database (record, receipts, card credits, callback outbox)
/// and ages records for the sweep. One connection, used by one test at a time.
final class LifecycleDatabase {
    /// A row's columns as text; SQL NULL columns are absent.
    typealias Columns = [String: String]

    /// The receipt table of each billtype (sql/020_receipts.sql).
    static let receiptTables: [String: String] = [
        "1": "T_3Pay_Receipt_Scenic", "2": "T_3Pay_Receipt_Pos", "3": "T_3Pay_Receipt_CarRental",
        "4": "T_3Pay_Receipt_EcoCar", "5": "T_3Pay_Receipt_EquipmentRental", "6": "T_3Pay_Receipt_JointRetail",
        "7": "T_3Pay_Receipt_StoredValueCard",
    ]

    private let connection: Connection

    init() throws {
        connection = try Connection(settings: try DatabaseProbe.settings())
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
        guard let sql = LifecycleDatabase.receiptQueries[table] else { throw LifecycleFailure("no receipt table \(table)") }
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

    /// Moves the record's times back as if it had been created `minutes` ago; a QR code it has is
    /// made to have expired a minute ago. The sweep then treats it as stale.
    func age(autoid: Int64, minutes: Int) throws {
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

    private func rows(_ sql: String, _ arguments: [SQLValue]) throws -> [Columns] {
        let sets = try connection.execute(sql, arguments)
        return (sets.first?.rows ?? []).map { row in
            var columns: Columns = [:]
            for (name, value) in zip(row.columns, row.values) { columns[name] = value }
            return columns
        }
    }
}
