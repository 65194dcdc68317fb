import Foundation
import MariaDB
import TestSupport
import XCTest

/// The Connector/C wrapper on its own: binding, reading, errors.
final class ConnectionTests: XCTestCase {
    func testValuesRoundTripThroughPlaceholders() throws {
        let connection = try TestDatabase.connect()
        let when = Date(timeIntervalSince1970: 1_717_214_475.123)
        let sets = try connection.execute(
            "SELECT ? AS s, ? AS i, ? AS d, ? AS n, CAST(? AS DATETIME(3)) AS t, ? + 0.01 AS sum",
            [.string("a'b\"c\\d 😀"), .int(-9_007_199_254_740_993), .decimal("88.88"), .null, .dateTime(when),
             .decimal("0.10")])
        let row = try XCTUnwrap(sets.first?.rows.first)
        XCTAssertEqual(try row.string("s"), "a'b\"c\\d 😀")
        XCTAssertEqual(try row.int64("i"), -9_007_199_254_740_993)
        XCTAssertEqual(try row.string("d"), "88.88")
        XCTAssertNil(try row.string("n"))
        XCTAssertEqual(try row.date("t"), when)
        XCTAssertEqual(try row.string("sum"), "0.11")
    }

    func testLongValuesAreReadInFull() throws {
        let connection = try TestDatabase.connect()
        let sets = try connection.execute("SELECT REPEAT(?, 5000) AS r", [.string("😀x")])
        XCTAssertEqual(try sets.first?.rows.first?.string("r"), String(repeating: "😀x", count: 5000))
    }

    func testEveryResultSetOfACallIsRead() throws {
        let connection = try TestDatabase.connect()
        // Two calls in a row on one connection only work if the first one's results were drained.
        for _ in 0..<3 {
            let sets = try connection.call("Sp_3Pay_Offline_ReceiveMoney_Get", [.int(Int64.max)], idempotent: false)
            XCTAssertEqual(sets.count, 1)
            XCTAssertEqual(sets.first?.rows.count, 0)
            XCTAssertEqual(sets.first?.columns.first, "autoid")
            XCTAssertEqual(sets.first?.columns.last, "refunded_amount")
        }
    }

    func testMisuseIsReportedAsUsage() throws {
        let connection = try TestDatabase.connect()
        XCTAssertThrowsError(try connection.execute("SELECT ?", [])) {
            guard case .usage = $0 as? MariaDBError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try connection.call("Sp; DROP TABLE x", [], idempotent: false)) {
            guard case .usage = $0 as? MariaDBError else { return XCTFail("\($0)") }
        }
        let row = try XCTUnwrap(connection.execute("SELECT 1 AS one").first?.rows.first)
        XCTAssertThrowsError(try row.string("two"))
    }

    func testErrorsNeverPrintValuesOrPasswords() throws {
        let connection = try TestDatabase.connect()
        XCTAssertThrowsError(try connection.execute("SELECT * FROM secret_table_4711 WHERE a = ?", [.string("x")])) {
            let error = $0 as? MariaDBError
            XCTAssertEqual(error?.code, 1146)
            XCTAssertTrue(error?.message.contains("secret_table_4711") ?? false, "detail stays available")
            for text in [String(describing: $0), String(reflecting: $0), "\($0)", dumped($0)] {
                XCTAssertFalse(text.contains("secret_table_4711"), text)
            }
        }

        var settings = try TestDatabase.settings()
        settings.user = "threepay_no_such_user"
        settings.password = "hunter2-very-secret"
        for text in [String(describing: settings), String(reflecting: settings), dumped(settings)] {
            XCTAssertFalse(text.contains("hunter2"), text)
        }
        XCTAssertThrowsError(try Connection(settings: settings)) {
            XCTAssertTrue([1045, 1698].contains(($0 as? MariaDBError)?.code ?? 0), "access denied: \($0)")
            for text in [String(describing: $0), String(reflecting: $0), dumped($0)] {
                XCTAssertFalse(text.contains("hunter2"), text)
            }
        }
    }

    func testServerDownIsConnectionLost() throws {
        let settings = ConnectionSettings(endpoint: .unixSocket(path: "/nonexistent/threepay.sock"), user: "x")
        XCTAssertThrowsError(try Connection(settings: settings)) {
            XCTAssertEqual(($0 as? MariaDBError)?.isConnectionLost, true, "\($0)")
        }
    }

    func testTestSettingsComeFromTheEnvironment() throws {
        let tcp = try TestDatabaseSettings.fromEnvironment(
            ["THREEPAY_DB_HOST": "db.internal", "THREEPAY_DB_PORT": "3307", "THREEPAY_DB_USER": "pay",
             "THREEPAY_DB_PASSWORD": "pw", "THREEPAY_DB_NAME": "tp"], defaultSocketPath: "/d.sock")
        XCTAssertEqual(tcp.endpoint, .tcp(host: "db.internal", port: 3307))
        XCTAssertEqual(tcp.user, "pay")
        XCTAssertEqual(tcp.password, "pw")
        XCTAssertEqual(tcp.database, "tp")
        let local = try TestDatabaseSettings.fromEnvironment(["THREEPAY_DB_USER": "u"], defaultSocketPath: "/d.sock")
        XCTAssertEqual(local.endpoint, .unixSocket(path: "/d.sock"))
        XCTAssertNil(local.password)
        XCTAssertEqual(local.database, "threepay")
        let socket = try TestDatabaseSettings.fromEnvironment(
            ["THREEPAY_DB_SOCKET": "/s.sock", "THREEPAY_DB_HOST": "ignored"], defaultSocketPath: "/d.sock")
        XCTAssertEqual(socket.endpoint, .unixSocket(path: "/s.sock"))
        XCTAssertThrowsError(try TestDatabaseSettings.fromEnvironment(
            ["THREEPAY_DB_HOST": "h", "THREEPAY_DB_PORT": "x"], defaultSocketPath: "/d.sock"))

        // scripts/test.sh names the private instance it started; that wins, without a password.
        let test = try TestDatabaseSettings.fromEnvironment(
            ["THREEPAY_TEST_DB_SOCKET": "/t.sock", "THREEPAY_DB_HOST": "ignored", "THREEPAY_DB_PASSWORD": "pw",
             "THREEPAY_DB_USER": "me"], defaultSocketPath: "/d.sock")
        XCTAssertEqual(test.endpoint, .unixSocket(path: "/t.sock"))
        XCTAssertEqual(test.user, "me")
        XCTAssertNil(test.password)

        // A child process given `environment(for:)` reads back the same settings.
        for settings in [tcp, local, socket] {
            XCTAssertEqual(try TestDatabaseSettings.fromEnvironment(
                TestDatabaseSettings.environment(for: settings), defaultSocketPath: "/other.sock"), settings)
        }
    }

    private func dumped(_ value: Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
