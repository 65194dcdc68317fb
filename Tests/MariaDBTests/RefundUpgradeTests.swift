import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import XCTest

/// Upgrades: sql/ applied again over a database that has refunds changes nothing, and applied over a database
/// from before refunds (payments, receipts, card credits and callbacks, but no refund columns or tables) gives
/// the schema of a fresh install, with the old payments intact and refundable.
final class RefundUpgradeTests: XCTestCase {
    func testApplyingTheFilesAgainKeepsTheSchemaAndEveryRow() throws {
        let database = try IsolatedDatabase.create()
        defer { database.drop() }
        let store = try database.store()
        let connection = try database.connect()
        let paid = try Receipts.pay(store, billtype: "7", amount: "30.00")
        _ = try store.refund(paid, "R1", "10.00")
        let requested = try store.startRefund(paid, "R2", "5.00")
        _ = try store.recordExternalRefund(paid, outRequestNo: "PR20260104000000000001", amount: "2.00")

        let schema = try SchemaSnapshot.read(connection, database: database.name)
        let rows = try SchemaSnapshot.rows(connection)
        XCTAssertTrue(schema.contains { $0.hasPrefix("column T_3Pay_Callback_Outbox 3 refund_id ") }, "\(schema)")
        try database.applySQL()
        XCTAssertEqual(try SchemaSnapshot.read(connection, database: database.name), schema)
        XCTAssertEqual(try SchemaSnapshot.rows(connection), rows)

        // And refunds go on as before.
        XCTAssertEqual(try store.recordRefunded(requested.refundID).refundedTotalAfter, Money(exactly: "17.00"))
        XCTAssertEqual(try Receipts.balance(connection, cardno: XCTUnwrap(paid.cardno)), "13.00")
    }

    func testUpgradingADatabaseWithPaymentsFromBeforeRefunds() throws {
        let fresh = try IsolatedDatabase.create()
        defer { fresh.drop() }
        let old = try IsolatedDatabase.create()
        defer { old.drop() }
        let store = try old.store()
        let connection = try old.connect()

        // Payments recorded and called back before refunds existed.
        let pos = try Receipts.pay(store, billtype: "2", amount: "10.00", tradeNo: "OLD1")
        let card = try Receipts.pay(store, billtype: "7", amount: "20.00", tradeNo: "OLD2")
        let delivered = try XCTUnwrap(store.claimCallbacks(limit: 10, leaseSeconds: 60).first)
        try store.callbackDelivered(id: delivered.id, httpStatus: 200)
        try SchemaSnapshot.removeRefunds(connection)
        let before = try SchemaSnapshot.read(connection, database: old.name)
        XCTAssertFalse(before.contains { $0.contains("Refund") || $0.contains("refund") }, "\(before)")
        XCTAssertTrue(before.contains("index T_3Pay_Callback_Outbox UX_3Pay_Callback_Outbox_Autoid 0 1 autoid"))

        try old.applySQL()
        let upgraded = try SchemaSnapshot.read(connection, database: old.name)
        let installed = try SchemaSnapshot.read(try fresh.connect(), database: fresh.name)
        XCTAssertEqual(upgraded.filter { !installed.contains($0) }, [], "only in the upgraded database")
        XCTAssertEqual(installed.filter { !upgraded.contains($0) }, [], "only in a fresh install")

        // The old payments: nothing refunded, their callbacks the payment's own (refund_id 0), delivery kept.
        XCTAssertEqual(try Refunds.refundedAmount(connection, autoid: pos.autoid), "0.00")
        XCTAssertEqual(try store.find(autoid: pos.autoid)?.refundedAmount, Money(exactly: "0.00"))
        XCTAssertEqual(try Refunds.outbox(connection, autoid: delivered.autoid).map(\.refundID), [0])
        XCTAssertEqual(try Refunds.outbox(connection, autoid: delivered.autoid).map(\.status), ["DELIVERED"])

        // They can be refunded, each refund with a callback of its own beside the payment's.
        let refund = try store.refund(pos, "R1", "4.00")
        XCTAssertEqual(try Refunds.outbox(connection, autoid: pos.autoid).map(\.refundID), [0, refund.refundID])
        let cardRefund = try store.refund(card, "R1", "20.00")
        XCTAssertEqual(cardRefund.refundedTotalAfter, Money(exactly: "20.00"))
        XCTAssertEqual(try Receipts.balance(connection, cardno: XCTUnwrap(card.cardno)), "0.00")
        XCTAssertEqual(try Refunds.receiptCount(connection, autoid: card.autoid), 1)
        XCTAssertFalse(try store.recordPaid(outTradeNo: pos.outTradeNo, tradeNo: "OLD1", totalAmount: pos.paymentvalue,
                                            paidAt: nil, buyerID: nil, source: .notify),
                       "an old payment reported again is still a duplicate")
        XCTAssertEqual(try Refunds.outbox(connection, autoid: pos.autoid).count, 2)
    }
}

/// What a database holds, as comparable text.
enum SchemaSnapshot {
    /// Tables' columns, keys, CHECK and foreign-key constraints, views and routines of `database`, one line each,
    /// sorted (routine and view bodies by digest, with the database's own name taken out).
    static func read(_ connection: Connection, database: String) throws -> [String] {
        let sql = """
            SELECT CONCAT_WS(' ', 'column', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
                             COALESCE(COLUMN_DEFAULT, '-'), COLLATION_NAME, EXTRA) AS line
              FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?
            UNION ALL
            SELECT CONCAT_WS(' ', 'index', TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME)
              FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?
            UNION ALL
            SELECT CONCAT_WS(' ', 'check', TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE)
              FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?
            UNION ALL
            SELECT CONCAT_WS(' ', 'foreign key', TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME)
              FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?
            UNION ALL
            SELECT CONCAT_WS(' ', 'view', TABLE_NAME, MD5(REPLACE(VIEW_DEFINITION, ?, '')))
              FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?
            UNION ALL
            SELECT CONCAT_WS(' ', 'routine', ROUTINE_TYPE, ROUTINE_NAME, MD5(ROUTINE_DEFINITION))
              FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
            ORDER BY line
            """
        let name = SQLValue.string(database)
        return try (connection.execute(sql, [name, name, name, name, .string("`\(database)`."), name, name])
            .first?.rows ?? []).map { try $0.requiredString("line") }
    }

    /// Every row of the payment, receipt, card, outbox and refund tables, as text.
    static func rows(_ connection: Connection) throws -> [String] {
        let tables = ["T_3Pay_Offline_ReceiveMoney", "T_3Pay_Offline_Bill", "T_3Pay_Callback_Outbox",
                      "T_3Pay_StoredValueCard", "T_3Pay_StoredValueCard_Credit", "T_3Pay_StoredValueCard_Debit",
                      "T_3Pay_Offline_Refund"]
            + Receipts.tables.values.sorted() + Refunds.receiptTables.values.sorted()
        var lines: [String] = []
        for table in tables {
            // Table names come from the constant lists above.
            for row in try connection.execute("SELECT * FROM \(table) ORDER BY 1").first?.rows ?? [] {
                lines.append(table + ": " + zip(row.columns, row.values).map { "\($0)=\($1 ?? "NULL")" }
                    .joined(separator: " "))
            }
        }
        return lines
    }

    /// Takes a database back to the shape it had before refunds (sql/ as it was before 050_refunds.sql): no refund
    /// tables, view or procedures, no `refunded_amount`, and one callback per payment record (UNIQUE autoid).
    static func removeRefunds(_ connection: Connection) throws {
        var statements = [
            "DROP VIEW V_3Pay_Offline_Refund",
            "DROP TABLE T_3Pay_StoredValueCard_Debit",
        ]
        statements += Refunds.receiptTables.values.sorted().map { "DROP TABLE \($0)" }
        statements += [
            "DROP TABLE T_3Pay_Offline_Refund",
            "ALTER TABLE T_3Pay_Callback_Outbox ADD UNIQUE KEY UX_3Pay_Callback_Outbox_Autoid (autoid)",
            "ALTER TABLE T_3Pay_Callback_Outbox DROP INDEX UX_3Pay_Callback_Outbox_Event",
            "ALTER TABLE T_3Pay_Callback_Outbox DROP COLUMN refund_id",
            "ALTER TABLE T_3Pay_Offline_ReceiveMoney DROP CONSTRAINT CK_3Pay_Offline_ReceiveMoney_Refunded",
            "ALTER TABLE T_3Pay_Offline_ReceiveMoney DROP COLUMN refunded_amount",
            """
            CREATE OR REPLACE VIEW V_3Pay_Offline_ReceiveMoney AS
            SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no, codeurl,
                   status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount, paid_at,
                   buyer_id, paid_source, created_at, updated_at
            FROM T_3Pay_Offline_ReceiveMoney
            """,
        ]
        statements += ProcedureNames.required.filter { $0.contains("Refund") }.map { "DROP PROCEDURE \($0)" }
        for statement in statements { _ = try connection.execute(statement) }
    }
}
