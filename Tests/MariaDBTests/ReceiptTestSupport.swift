import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Direct reads of the receipt, card and outbox tables (sql/020_receipts.sql), for assertions.
enum Receipts {
    /// The receipt table of each billtype.
    static let tables: [String: String] = [
        "1": "T_3Pay_Receipt_Scenic", "2": "T_3Pay_Receipt_Pos", "3": "T_3Pay_Receipt_CarRental",
        "4": "T_3Pay_Receipt_EcoCar", "5": "T_3Pay_Receipt_EquipmentRental", "6": "T_3Pay_Receipt_JointRetail",
        "7": "T_3Pay_Receipt_StoredValueCard",
    ]

    /// Number of receipts for `autoid` in each receipt table, by billtype.
    static func counts(_ connection: Connection, autoid: Int64) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for (billtype, table) in tables {
            // Table names come from the constant list above.
            counts[billtype] = try count(connection, "SELECT COUNT(*) AS n FROM \(table) WHERE autoid = ?", autoid)
        }
        return counts
    }

    /// The receipt row of `autoid` in `billtype`'s table, nil if there is none.
    static func receipt(_ connection: Connection, billtype: String, autoid: Int64) throws -> Row? {
        let table = try XCTUnwrap(tables[billtype])
        return try connection.execute("SELECT * FROM \(table) WHERE autoid = ?", [.int(autoid)]).first?.rows.first
    }

    /// Credit journal rows of a payment.
    static func creditCount(_ connection: Connection, autoid: Int64) throws -> Int64 {
        try count(connection, "SELECT COUNT(*) AS n FROM T_3Pay_StoredValueCard_Credit WHERE autoid = ?", autoid)
    }

    /// A card's balance as the database prints it (exact decimal text), nil when the card does not exist.
    static func balance(_ connection: Connection, cardno: String) throws -> String? {
        try connection.execute("SELECT balance FROM T_3Pay_StoredValueCard WHERE cardno = ?", [.string(cardno)])
            .first?.rows.first?.string("balance")
    }

    /// Outbox rows of a payment.
    static func outboxCount(_ connection: Connection, autoid: Int64) throws -> Int64 {
        try count(connection, "SELECT COUNT(*) AS n FROM T_3Pay_Callback_Outbox WHERE autoid = ?", autoid)
    }

    /// The outbox row of a payment.
    static func outbox(_ connection: Connection, autoid: Int64) throws -> Row? {
        try connection.execute("SELECT * FROM T_3Pay_Callback_Outbox WHERE autoid = ?", [.int(autoid)])
            .first?.rows.first
    }

    /// The outbox row with this id.
    static func outbox(_ connection: Connection, id: Int64) throws -> Row? {
        try connection.execute("SELECT * FROM T_3Pay_Callback_Outbox WHERE id = ?", [.int(id)]).first?.rows.first
    }

    /// A stored-value card number no earlier run used (16 characters).
    static func uniqueCardno() -> String {
        let alphabet = Array("0123456789")
        return "C" + String((0..<15).map { _ in alphabet.randomElement()! })
    }

    /// Begins a bill of `billtype` and records its payment; returns the paid record.
    static func pay(
        _ store: PaymentRecords, billtype: String, amount: String = "88.88", cardno: String? = nil,
        tradeNo: String? = nil
    ) throws -> PaymentRecord {
        let card = billtype == "7" ? (cardno ?? uniqueCardno()) : nil
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum(), billtype: billtype,
                                                        amount: amount, cardno: card)).record
        let trade = tradeNo ?? "2024\(record.autoid)"
        XCTAssertTrue(try store.recordPaid(outTradeNo: record.outTradeNo, tradeNo: trade,
                                           totalAmount: record.paymentvalue, paidAt: nil, buyerID: nil,
                                           source: .notify))
        return try XCTUnwrap(store.find(autoid: record.autoid))
    }

    private static func count(_ connection: Connection, _ sql: String, _ autoid: Int64) throws -> Int64 {
        try connection.execute(sql, [.int(autoid)]).first?.rows.first?.int64("n") ?? -1
    }
}
