import Foundation
import MariaDB
import PaymentModel
import PaymentFlow
@testable import PaymentStore
import TestSupport
import XCTest

/// Finds the MariaDB the tests run against and opens connections to it.
///
/// `TestDatabaseSettings` chooses the server (THREEPAY_TEST_DB_SOCKET, THREEPAY_DB_SOCKET / THREEPAY_DB_HOST
/// + USER, PASSWORD, NAME); otherwise the private instance at `$THREEPAY_STATE_DIR/mariadb.sock`, default
/// `<package root>/var/mariadb.sock`. An unreachable server fails the test (it is never skipped): start it
/// with `scripts/mariadb.sh start`.
enum TestDatabase {
    static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let defaultSocket: String = {
        let state = ProcessInfo.processInfo.environment["THREEPAY_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? packageRoot + "/var"
        return URL(fileURLWithPath: state, relativeTo: URL(fileURLWithPath: packageRoot)).path + "/mariadb.sock"
    }()

    static func settings() throws -> ConnectionSettings {
        try TestDatabaseSettings.fromEnvironment(defaultSocketPath: defaultSocket)
    }

    /// Opens a connection or fails the calling test with instructions.
    static func connect(file: StaticString = #filePath, line: UInt = #line) throws -> Connection {
        let settings = try settings()
        do {
            return try Connection(settings: settings)
        } catch {
            XCTFail("""
                MariaDB is not reachable (\(settings), \(error)). Start the private instance with \
                `scripts/mariadb.sh start`, or point THREEPAY_DB_SOCKET / THREEPAY_DB_HOST at a server \
                that has sql/ applied.
                """, file: file, line: line)
            throw error
        }
    }

    /// `KILL CONNECTION` of `victim`'s server connection, from another connection; returns once it is gone (KILL
    /// returns before the victim's server thread has ended).
    static func killConnection(of victim: Connection) throws {
        let id = try XCTUnwrap(victim.serverConnectionID)
        let killer = try connect()
        _ = try killer.execute("KILL CONNECTION ?", [.int(Int64(id))])
        try Poll.until("connection \(id) gone after KILL", seconds: 30) {
            let sets = try killer.execute(
                "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?", [.int(Int64(id))])
            return try sets.first?.rows.first?.int64("n") == 0
        }
    }

    /// A store on a new connection whose database has every procedure, or fails the calling test.
    static func store(file: StaticString = #filePath, line: UInt = #line) throws -> PaymentRecords {
        let store = PaymentRecords(connection: try connect(file: file, line: line))
        let missing = try store.missingProcedures()
        if !missing.isEmpty {
            XCTFail("procedures missing: \(missing); run `scripts/mariadb.sh apply-sql`", file: file, line: line)
            throw StoreError.unavailable("procedures missing")
        }
        return store
    }

    /// The database server's clock (UTC, at the millisecond precision the procedures stamp rows with): taken
    /// before and after a call, it brackets the times the call wrote.
    static func now(_ connection: Connection) throws -> Date {
        try XCTUnwrap(try connection.execute("SELECT UTC_TIMESTAMP(3) AS now").first?.rows.first?.date("now"))
    }

    /// A bill number no earlier run used (16 characters), so tests can run again on a kept database.
    static func uniqueBillnum() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "t" + String((0..<15).map { _ in alphabet.randomElement()! })
    }

    /// A Begin request for `billnum` with sensible defaults.
    static func input(
        _ billnum: String, billtype: String = "2", amount: String = "88.88", body: String = "门票",
        detail: String? = nil, cardno: String? = nil, validity: Int = 600
    ) -> BeginInput {
        BeginInput(
            bill: ScanCodeRequest(
                billnum: billnum, billtype: BillType(rawValue: billtype)!, body: body, paytype: "01",
                paymentvalue: Money(exactly: amount)!, detail: detail, cardno: cardno),
            clientip: "10.0.0.8", qrValiditySeconds: validity)
    }

    /// Number of payment records of a bill, counted directly in the table.
    static func recordCount(_ connection: Connection, billtype: String = "2", billnum: String) throws -> Int64 {
        let sets = try connection.execute(
            "SELECT COUNT(*) AS n FROM T_3Pay_Offline_ReceiveMoney WHERE billtype = ? AND billnum = ?",
            [.string(billtype), .string(billnum)])
        return try sets.first?.rows.first?.int64("n") ?? -1
    }

    /// Number of bill rows for a bill (0 or 1).
    static func billCount(_ connection: Connection, billtype: String = "2", billnum: String) throws -> Int64 {
        let sets = try connection.execute(
            "SELECT COUNT(*) AS n FROM T_3Pay_Offline_Bill WHERE billtype = ? AND billnum = ?",
            [.string(billtype), .string(billnum)])
        return try sets.first?.rows.first?.int64("n") ?? -1
    }
}

/// Asserts that `body` throws a `StoreError` equal to `expected`.
func XCTAssertStoreError<T>(
    _ body: @autoclosure () throws -> T, _ expected: StoreError, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? StoreError, expected, file: file, line: line)
    }
}

/// Asserts that `body` throws `StoreError.rule` whose message contains `fragment`.
func XCTAssertRule<T>(
    _ body: @autoclosure () throws -> T, containing fragment: String, file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case .rule(let message) = error as? StoreError else {
            return XCTFail("expected StoreError.rule, got \(error)", file: file, line: line)
        }
        XCTAssertTrue(message.contains(fragment), "message: \(message)", file: file, line: line)
    }
}

extension BeginOutcome {
    var kind: String {
        switch self {
        case .new: return "new"
        case .existing: return "existing"
        case .closeFirst: return "close_first"
        case .busy: return "busy"
        }
    }
}

/// Asserts that `body` throws `StoreError.conflict` (a transition the record's status does not allow, 50003)
/// whose message contains `fragment`.
func XCTAssertConflict<T>(
    _ body: @autoclosure () throws -> T, containing fragment: String, file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard case .conflict(let message) = error as? StoreError else {
            return XCTFail("expected StoreError.conflict, got \(error)", file: file, line: line)
        }
        XCTAssertTrue(message.contains(fragment), "message: \(message)", file: file, line: line)
    }
}
