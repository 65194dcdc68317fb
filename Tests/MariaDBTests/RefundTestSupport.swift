import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
@testable import PaymentStore
import TestSupport
import XCTest

/// The refund procedures (sql/050_refunds.sql) called the way the service calls them, each call with the
/// generous deadline of `StoreCalls`.
extension PaymentRecords {
    private var refundDeadline: Deadline { .after(milliseconds: Self.testDeadlineMilliseconds) }

    /// Begin for the payment `record` (by its autoid), or for a bill's current record.
    func beginRefund(
        _ lookup: BillLookup, _ refundno: String, _ amount: String, reason: String? = nil,
        leaseMilliseconds: Int = 60_000
    ) throws(StoreError) -> RefundBeginOutcome {
        try beginRefund(RefundRequest(lookup: lookup, refundno: refundno, amount: Money(exactly: amount)!, reason: reason),
                        leaseMilliseconds: leaseMilliseconds, deadline: refundDeadline)
    }

    func beginRefund(
        _ record: PaymentRecord, _ refundno: String, _ amount: String, reason: String? = nil,
        leaseMilliseconds: Int = 60_000
    ) throws(StoreError) -> RefundBeginOutcome {
        try beginRefund(.autoid(record.autoid), refundno, amount, reason: reason, leaseMilliseconds: leaseMilliseconds)
    }

    /// Records the refund refunded, at `time` as Alipay reported it (nil: now).
    @discardableResult
    func recordRefunded(_ refundID: Int64, at time: Date? = nil) throws(StoreError) -> RefundRecord {
        try recordRefunded(refundID: refundID, refundedAt: time, deadline: refundDeadline)
    }

    @discardableResult
    func recordRefundFailed(_ refundID: Int64, code: String? = "40004", subCode: String? = "ACQ.REFUND_FAIL",
                            message: String? = "refused") throws(StoreError) -> RefundRecord {
        try recordRefundFailed(refundID: refundID, code: code, subCode: subCode, message: message,
                               deadline: refundDeadline)
    }

    @discardableResult
    func recordRefundPending(_ refundID: Int64, reason: String = "refund: timeout") throws(StoreError) -> RefundRecord {
        try recordRefundPending(refundID: refundID, reason: reason, deadline: refundDeadline)
    }

    @discardableResult
    func recordExternalRefund(
        _ record: PaymentRecord, outRequestNo: String, amount: String?, source: ExternalRefundSource = .notify
    ) throws(StoreError) -> RefundRecord? {
        try recordExternalRefund(outTradeNo: record.outTradeNo, outRequestNo: outRequestNo,
                                 amount: amount.map { Money(exactly: $0)! }, refundedAt: nil, source: source,
                                 deadline: refundDeadline)
    }

    func staleRefunds(limit: Int) throws(StoreError) -> [RefundRecord] {
        try staleRefunds(limit: limit, deadline: refundDeadline)
    }

    func findRefund(_ refundID: Int64) throws(StoreError) -> RefundRecord? {
        try findRefund(id: refundID, deadline: refundDeadline)
    }

    /// A new refund that Begin hands over to be called at Alipay, or a test failure.
    func startRefund(_ record: PaymentRecord, _ refundno: String, _ amount: String, leaseMilliseconds: Int = 60_000,
                     file: StaticString = #filePath, line: UInt = #line) throws -> RefundRecord {
        let outcome = try beginRefund(record, refundno, amount, leaseMilliseconds: leaseMilliseconds)
        guard case .callAlipay(let refund) = outcome else {
            XCTFail("Begin answered \(outcome.kind) for a new refund", file: file, line: line)
            throw StoreError.rule("not a new refund")
        }
        return refund
    }

    /// A refund begun and recorded refunded.
    @discardableResult
    func refund(_ record: PaymentRecord, _ refundno: String, _ amount: String,
                file: StaticString = #filePath, line: UInt = #line) throws -> RefundRecord {
        try recordRefunded(startRefund(record, refundno, amount, file: file, line: line).refundID)
    }
}

extension RefundBeginOutcome {
    var kind: String {
        switch self {
        case .callAlipay: return "call"
        case .query: return "query"
        case .done: return "done"
        case .busy: return "busy"
        }
    }

    var refund: RefundRecord {
        switch self {
        case .callAlipay(let refund), .query(let refund), .done(let refund), .busy(let refund): return refund
        }
    }
}

/// A test case with a store and a plain connection on the shared test database.
class RefundStoreTestCase: XCTestCase {
    var store: PaymentRecords!
    var connection: Connection!

    override func setUpWithError() throws {
        store = try TestDatabase.store()
        connection = try TestDatabase.connect()
    }

    override func tearDown() {
        store = nil
        connection = nil
    }
}

/// Begin outcomes and refusals collected from concurrent workers, by payment.
final class RefundOutcomes: @unchecked Sendable {
    // Guarded by `lock`; written by the worker threads, read after they all finished.
    private let lock = NSLock()
    private var outcomes: [(autoid: Int64, result: Result<RefundBeginOutcome, any Error>)] = []

    func record(_ autoid: Int64, _ result: Result<RefundBeginOutcome, any Error>) {
        lock.withLock { outcomes.append((autoid, result)) }
    }

    /// What each call for `autoid` got: Begin's action, or the refusal's name.
    func kinds(_ autoid: Int64) -> [String] {
        lock.withLock { outcomes.filter { $0.autoid == autoid }.map { Self.kind($0.result) } }
    }

    var all: [Result<RefundBeginOutcome, any Error>] { lock.withLock { outcomes.map(\.result) } }

    /// The outcome of `body`, or what it threw.
    static func attempt(_ body: () throws -> RefundBeginOutcome) -> Result<RefundBeginOutcome, any Error> {
        do { return .success(try body()) } catch { return .failure(error) }
    }

    static func kind(_ result: Result<RefundBeginOutcome, any Error>) -> String {
        switch result {
        case .success(let outcome): return outcome.kind
        case .failure(let error):
            if case .refundRefused(let refusal, _) = error as? StoreError { return "\(refusal)" }
            return "error: \(error)"
        }
    }
}

/// Direct reads of the refund tables, and the procedures' raw answers where the store's types hide something
/// (the `changed` column, arguments the service never sends).
enum Refunds {
    /// The refund receipt table beside each receipt table, by billtype.
    static let receiptTables = RefundReceiptTables.byBilltype

    /// Refund receipts of `refundID` in each refund receipt table, by billtype.
    static func receiptCounts(_ connection: Connection, refundID: Int64) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for (billtype, table) in receiptTables {
            // Table names come from the constant list above.
            counts[billtype] = try count(connection, "SELECT COUNT(*) AS n FROM \(table) WHERE refund_id = ?", refundID)
        }
        return counts
    }

    /// Refund receipts of a payment, all tables together.
    static func receiptCount(_ connection: Connection, autoid: Int64) throws -> Int64 {
        var total: Int64 = 0
        for table in receiptTables.values {
            total += try count(connection, "SELECT COUNT(*) AS n FROM \(table) WHERE autoid = ?", autoid)
        }
        return total
    }

    static func receipt(_ connection: Connection, billtype: String, refundID: Int64) throws -> Row? {
        let table = try XCTUnwrap(receiptTables[billtype])
        return try connection.execute("SELECT * FROM \(table) WHERE refund_id = ?", [.int(refundID)]).first?.rows.first
    }

    /// The refund rows of a payment, oldest first.
    static func rows(_ connection: Connection, autoid: Int64) throws -> [Row] {
        try connection.execute("SELECT * FROM T_3Pay_Offline_Refund WHERE autoid = ? ORDER BY refund_id",
                               [.int(autoid)]).first?.rows ?? []
    }

    /// The payment's refunds as `refundno STATUS amount`, oldest first.
    static func summaries(_ connection: Connection, autoid: Int64) throws -> [String] {
        try rows(connection, autoid: autoid).map {
            "\(try $0.requiredString("refundno")) \(try $0.requiredString("status")) \(try $0.requiredString("amount"))"
        }
    }

    static func row(_ connection: Connection, refundID: Int64) throws -> Row? {
        try connection.execute("SELECT * FROM T_3Pay_Offline_Refund WHERE refund_id = ?", [.int(refundID)])
            .first?.rows.first
    }

    /// The card debit of a refund, nil when there is none.
    static func debit(_ connection: Connection, refundID: Int64) throws -> Row? {
        try connection.execute("SELECT * FROM T_3Pay_StoredValueCard_Debit WHERE refund_id = ?", [.int(refundID)])
            .first?.rows.first
    }

    static func debitCount(_ connection: Connection, cardno: String) throws -> Int64 {
        try connection.execute("SELECT COUNT(*) AS n FROM T_3Pay_StoredValueCard_Debit WHERE cardno = ?",
                               [.string(cardno)]).first?.rows.first?.int64("n") ?? -1
    }

    /// The payment's callbacks in the outbox, as (refund_id, status), in the order they were queued.
    static func outbox(_ connection: Connection, autoid: Int64) throws -> [(refundID: Int64, status: String)] {
        try (connection.execute("SELECT refund_id, status FROM T_3Pay_Callback_Outbox WHERE autoid = ? ORDER BY id",
                                [.int(autoid)]).first?.rows ?? [])
            .map { (try XCTUnwrap($0.int64("refund_id")), try $0.requiredString("status")) }
    }

    /// The payment record's refunded total as the database prints it.
    static func refundedAmount(_ connection: Connection, autoid: Int64) throws -> String? {
        try connection.execute("SELECT refunded_amount FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = ?",
                               [.int(autoid)]).first?.rows.first?.string("refunded_amount")
    }

    /// Sets a card's balance, as the business system does when the card is spent.
    static func setBalance(_ connection: Connection, cardno: String, _ balance: String) throws {
        _ = try connection.execute("UPDATE T_3Pay_StoredValueCard SET balance = ? WHERE cardno = ?",
                                   [.decimal(balance), .string(cardno)])
    }

    /// `Sp_3Pay_Offline_Refund_Refunded`'s row with its `changed` column.
    static func refundedRaw(_ connection: Connection, _ refundID: Int64) throws -> Row {
        try XCTUnwrap(connection.call(ProcedureNames.refundRefunded, [.int(refundID), .null], idempotent: false)
            .first?.rows.first)
    }

    /// `Sp_3Pay_Offline_Refund_Reported`'s row (with `changed`); nil when it returned none.
    static func externalRaw(_ connection: Connection, outTradeNo: String, outRequestNo: String, amount: String?,
                            source: String = "notify") throws -> Row? {
        try connection.call(ProcedureNames.refundReported, [
            .string(outTradeNo), .string(outRequestNo), amount.map(SQLValue.decimal) ?? .null, .null, .string(source),
        ], idempotent: false).first?.rows.first
    }

    /// Begin with arguments exactly as given (amounts as decimal text), as another client of the procedure might
    /// send them.
    static func beginRaw(
        _ connection: Connection, autoid: Int64?, billtype: String? = nil, billnum: String? = nil,
        refundno: String?, amount: String?, reason: String? = nil, leaseMilliseconds: Int64? = 60_000,
        leaseToken: String? = nil
    ) throws -> Row? {
        try connection.call(ProcedureNames.refundBegin, [
            autoid.map(SQLValue.int) ?? .null, billtype.map(SQLValue.string) ?? .null,
            billnum.map(SQLValue.string) ?? .null, refundno.map(SQLValue.string) ?? .null,
            amount.map(SQLValue.decimal) ?? .null, reason.map(SQLValue.string) ?? .null,
            leaseMilliseconds.map(SQLValue.int) ?? .null, .optional(leaseToken),
        ], idempotent: false).first?.rows.first
    }

    private static func count(_ connection: Connection, _ sql: String, _ id: Int64) throws -> Int64 {
        try connection.execute(sql, [.int(id)]).first?.rows.first?.int64("n") ?? -1
    }
}

/// Asserts that `body` fails with the procedures' `MYSQL_ERRNO` `code` and a message containing `fragment`.
func XCTAssertErrno<T>(
    _ body: @autoclosure () throws -> T, _ code: Int, _ fragment: String = "", file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case .rule(let actual, let message) = error as? MariaDBError else {
            return XCTFail("expected MYSQL_ERRNO \(code), got \(error)", file: file, line: line)
        }
        XCTAssertEqual(actual, code, message, file: file, line: line)
        XCTAssertTrue(message.contains(fragment), "message: \(message)", file: file, line: line)
    }
}

/// Asserts that `body` throws `StoreError.refundRefused` with `refusal`.
func XCTAssertRefused<T>(
    _ body: @autoclosure () throws -> T, _ refusal: RefundRefusal, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case .refundRefused(let actual, _) = error as? StoreError else {
            return XCTFail("expected a refund refusal (\(refusal)), got \(error)", file: file, line: line)
        }
        XCTAssertEqual(actual, refusal, file: file, line: line)
    }
}
