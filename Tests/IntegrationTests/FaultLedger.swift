import Foundation
import MariaDB
import XCTest
import TestSupport

/// What one fault case left behind, read after the fact from the three places that must agree: the
/// payment database (records, receipts, card credits, callback outbox), the sandbox's book of trades, and
/// the callbacks the sandbox's recording sink received.
struct FaultSnapshot {
    struct Record {
        let autoid: Int64
        let billnum: String
        let billtype: String
        let amount: String
        let cardno: String?
        let outTradeNo: String
        let codeurl: String?
        let status: String
        let tradeNo: String?
        let paidAmount: String?
    }

    struct Trade {
        let outTradeNo: String
        let amount: String
        let qrCode: String
        let status: String
        let tradeNo: String?
    }

    struct Receipt {
        /// The billtype whose table holds the receipt.
        let table: String
        let autoid: Int64
        let amount: String
    }

    struct Credit {
        let autoid: Int64
        let cardno: String
        let amount: String
    }

    struct Callback {
        let status: String
        let attempts: Int
    }

    var records: [Record] = []
    var trades: [String: Trade] = [:]
    var receipts: [Receipt] = []
    var credits: [Credit] = []
    /// Card number → balance.
    var cards: [String: String] = [:]
    /// autoid → the payment's callback in the outbox.
    var outbox: [Int64: Callback] = [:]
    /// autoid → how many callbacks the sink received for it.
    var delivered: [Int64: Int] = [:]

    var recordsByAutoid: [Int64: Record] { Dictionary(records.map { ($0.autoid, $0) }, uniquingKeysWith: { first, _ in first }) }
    var recordsByTrade: [String: Record] { Dictionary(records.map { ($0.outTradeNo, $0) }, uniquingKeysWith: { first, _ in first }) }

    /// Records of the bill, oldest first.
    func records(of bill: FaultBill) -> [Record] {
        records.filter { $0.billnum == bill.billnum && $0.billtype == bill.billtype }
    }
}

/// Reads `FaultSnapshot`s and moves time forward for the sweep and the callback outbox, through one
/// `StackDatabase` used by one test at a time.
final class FaultLedger {
    let database: StackDatabase

    init() throws {
        database = try StackDatabase()
    }

    /// Everything about the bills of `source` (its prefix and body).
    func snapshot(_ source: FaultBillSource) async throws -> FaultSnapshot {
        var snapshot = FaultSnapshot()
        try readConsistently { try readTables(source, into: &snapshot) }
        let (body, prefix) = (source.body, source.prefix)
        snapshot.trades = try await StackSandbox.run { try $0.trades(subject: body) }
        snapshot.delivered = try await StackSandbox.run { try $0.callbackCounts(prefix: prefix) }
        return snapshot
    }

    /// Runs the reads in one transaction, so they all see the database at the same moment (payments keep
    /// being recorded while a snapshot is taken).
    private func readConsistently(_ reads: () throws -> Void) throws {
        _ = try database.connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        do {
            try reads()
            _ = try database.connection.execute("COMMIT")
        } catch {
            _ = try? database.connection.execute("ROLLBACK")
            throw error
        }
    }

    private func readTables(_ source: FaultBillSource, into snapshot: inout FaultSnapshot) throws {
        let prefix = SQLValue.string(source.prefix)
        snapshot.records = try database.rows(
            """
            SELECT autoid, billnum, billtype, paymentvalue, cardno, out_trade_no, codeurl, status, trade_no, paid_amount
              FROM T_3Pay_Offline_ReceiveMoney WHERE billnum LIKE CONCAT(?, '%') ORDER BY autoid
            """, [prefix]
        ).map { row in
            FaultSnapshot.Record(
                autoid: Int64(row["autoid"] ?? "") ?? -1, billnum: row["billnum"] ?? "", billtype: row["billtype"] ?? "",
                amount: row["paymentvalue"] ?? "", cardno: row["cardno"], outTradeNo: row["out_trade_no"] ?? "",
                codeurl: row["codeurl"], status: row["status"] ?? "", tradeNo: row["trade_no"], paidAmount: row["paid_amount"])
        }
        snapshot.receipts = try database.rows(
            """
            SELECT x.t, x.autoid, x.amount FROM (
                      SELECT '1' AS t, autoid, amount, billnum FROM T_3Pay_Receipt_Scenic
            UNION ALL SELECT '2', autoid, amount, billnum FROM T_3Pay_Receipt_Pos
            UNION ALL SELECT '3', autoid, amount, billnum FROM T_3Pay_Receipt_CarRental
            UNION ALL SELECT '4', autoid, amount, billnum FROM T_3Pay_Receipt_EcoCar
            UNION ALL SELECT '5', autoid, amount, billnum FROM T_3Pay_Receipt_EquipmentRental
            UNION ALL SELECT '6', autoid, amount, billnum FROM T_3Pay_Receipt_JointRetail
            UNION ALL SELECT '7', autoid, amount, billnum FROM T_3Pay_Receipt_StoredValueCard
            ) x WHERE x.billnum LIKE CONCAT(?, '%')
            """, [prefix]
        ).map { FaultSnapshot.Receipt(table: $0["t"] ?? "", autoid: Int64($0["autoid"] ?? "") ?? -1, amount: $0["amount"] ?? "") }
        snapshot.credits = try database.rows(
            """
            SELECT c.autoid, c.cardno, c.amount FROM T_3Pay_StoredValueCard_Credit c
              JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = c.autoid WHERE r.billnum LIKE CONCAT(?, '%')
            """, [prefix]
        ).map { FaultSnapshot.Credit(autoid: Int64($0["autoid"] ?? "") ?? -1, cardno: $0["cardno"] ?? "", amount: $0["amount"] ?? "") }
        for row in try database.rows(
            "SELECT cardno, balance FROM T_3Pay_StoredValueCard WHERE cardno LIKE CONCAT('C', ?, '%')", [prefix])
        {
            snapshot.cards[row["cardno"] ?? ""] = row["balance"]
        }
        snapshot.outbox = try callbacks(source)
    }

    /// The status of each record of the bills of `source`.
    func statuses(_ source: FaultBillSource) throws -> [Int64: String] {
        var found: [Int64: String] = [:]
        for row in try database.rows(
            "SELECT autoid, status FROM T_3Pay_Offline_ReceiveMoney WHERE billnum LIKE CONCAT(?, '%')", [.string(source.prefix)])
        {
            if let autoid = Int64(row["autoid"] ?? "") { found[autoid] = row["status"] }
        }
        return found
    }

    /// The callback outbox rows of the bills of `source`, by autoid.
    func callbacks(_ source: FaultBillSource) throws -> [Int64: FaultSnapshot.Callback] {
        var found: [Int64: FaultSnapshot.Callback] = [:]
        for row in try database.rows(
            """
            SELECT o.autoid, o.status, o.attempts
              FROM T_3Pay_Callback_Outbox o
              JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = o.autoid WHERE r.billnum LIKE CONCAT(?, '%')
            """, [.string(source.prefix)])
        {
            guard let autoid = Int64(row["autoid"] ?? "") else { continue }
            found[autoid] = FaultSnapshot.Callback(
                status: row["status"] ?? "", attempts: Int(row["attempts"] ?? "") ?? -1)
        }
        return found
    }

    /// The database's clock now (UTC, as the procedures stamp rows), to compare row times with.
    func now() throws -> String {
        try XCTUnwrap(database.rows("SELECT UTC_TIMESTAMP(3) AS now").first?["now"])
    }

    /// Lets the run's callbacks that were claimed or deferred before `before` (a `now()` of the database) and
    /// are still pending fall due now, as if their lease or back-off had run out: a delivery the fault
    /// interrupted is otherwise retried only after its 120 s lease. Returns how many there were.
    func makeStuckCallbacksDue(_ source: FaultBillSource, before: String) throws -> Int {
        let stuck = """
            o.status = 'PENDING' AND o.updated_at < ? AND r.billnum LIKE CONCAT(?, '%')
            AND (o.lease_until > UTC_TIMESTAMP(3) OR o.next_attempt_at > UTC_TIMESTAMP(3))
            """
        let arguments: [SQLValue] = [.string(before), .string(source.prefix)]
        let count = try database.rows(
            "SELECT COUNT(*) AS n FROM T_3Pay_Callback_Outbox o JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = o.autoid WHERE "
                + stuck, arguments).first?["n"]
        _ = try database.connection.execute(
            """
            UPDATE T_3Pay_Callback_Outbox o JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = o.autoid
               SET o.lease_until = IF(o.lease_until > UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) - INTERVAL 1 SECOND, o.lease_until),
                   o.next_attempt_at = LEAST(o.next_attempt_at, UTC_TIMESTAMP(3))
             WHERE
            """ + " " + stuck,
            arguments)
        return Int(count ?? "") ?? -1
    }
}

extension StackSandbox {
    /// The book's trades whose subject is `subject` (the bills of one fault case), by out_trade_no.
    func trades(subject: String) throws -> [String: FaultSnapshot.Trade] {
        var found: [String: FaultSnapshot.Trade] = [:]
        for trade in try trades() where trade["subject"] == subject {
            guard let outTradeNo = trade["out_trade_no"] else { continue }
            found[outTradeNo] = FaultSnapshot.Trade(
                outTradeNo: outTradeNo, amount: trade["total_amount"] ?? "", qrCode: trade["qr_code"] ?? "",
                status: trade["status"] ?? "", tradeNo: trade["trade_no"])
        }
        return found
    }

    /// How many callbacks the recording sink holds for each payment record of the bills starting with `prefix`.
    func callbackCounts(prefix: String) throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for entry in try sink() {
            guard let fields = try? JSONSerialization.jsonObject(with: Data(entry.body.utf8)) as? [String: Any],
                  let billnum = fields["billnum"] as? String, billnum.hasPrefix(prefix),
                  let autoid = (fields["autoid"] as? String).flatMap({ Int64($0) })
            else { continue }
            counts[autoid, default: 0] += 1
        }
        return counts
    }
}

