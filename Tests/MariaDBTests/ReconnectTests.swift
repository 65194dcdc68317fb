import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import TestSupport
import XCTest

/// Losing the server connection and getting it back.
///
/// The shared instance is not restarted (other test runs may be using it): `KILL CONNECTION` of the test's own
/// connection exercises the same loss-and-reconnect path. The full server restart runs against a throwaway
/// private instance in a temporary state folder, driven by scripts/mariadb.sh, and always stopped afterwards.
final class ReconnectTests: XCTestCase {
    private func kill(_ victim: Connection) throws {
        try TestDatabase.killConnection(of: victim)
    }

    func testIdempotentCallReconnectsAfterTheConnectionWasKilled() throws {
        let store = try TestDatabase.store()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        let before = store.connection.serverConnectionID
        try kill(store.connection)

        XCTAssertEqual(try store.find(autoid: record.autoid), record)
        XCTAssertEqual(store.connection.reconnectCount, 1)
        XCTAssertNotEqual(store.connection.serverConnectionID, before)
        XCTAssertEqual(try store.recordQrIssued(autoid: record.autoid, codeURL: "u", validitySeconds: 60).status,
                       .qrIssued, "cached statements were prepared again on the new connection")
    }

    func testStatementNotMarkedIdempotentIsNotResent() throws {
        let connection = try TestDatabase.connect()
        try kill(connection)
        XCTAssertThrowsError(try connection.execute("SELECT 1 AS one", idempotent: false)) {
            XCTAssertEqual(($0 as? MariaDBError)?.isConnectionLost, true, "\($0)")
        }
        XCTAssertFalse(connection.isConnected)
        // Nothing is in flight now, so the next statement reconnects first and runs.
        XCTAssertEqual(try connection.execute("SELECT 1 AS one").first?.rows.first?.int64("one"), 1)
        XCTAssertEqual(connection.reconnectCount, 1)
    }

    func testStoreReconnectsAfterARealServerRestart() throws {
        let state = "/tmp/threepay-restart-\(UUID().uuidString.prefix(8))"
        addTeardownBlock {
            _ = try? Self.script("stop", state: state)
            try? FileManager.default.removeItem(atPath: state)
        }
        let started = try Self.script("start", state: state)
        XCTAssertEqual(started.status, 0, started.output)
        let again = try Self.script("start", state: state)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("already running"), again.output)
        XCTAssertEqual(try Self.script("status", state: state).status, 0)

        let settings = ConnectionSettings(endpoint: .unixSocket(path: state + "/mariadb.sock"),
                                          user: ProcessInfo.processInfo.userName, connectTimeoutSeconds: 2)
        let store = try PaymentRecords(connectionSettings: settings)
        XCTAssertEqual(try store.missingProcedures(), [])
        let billnum = TestDatabase.uniqueBillnum()
        let record = try store.begin(TestDatabase.input(billnum)).record

        XCTAssertEqual(try Self.script("stop", state: state).status, 0)
        XCTAssertEqual(try Self.script("status", state: state).status, 3)
        XCTAssertThrowsError(try store.find(autoid: record.autoid)) {
            guard case .unavailable = $0 as? StoreError else { return XCTFail("expected unavailable, got \($0)") }
        }

        XCTAssertEqual(try Self.script("start", state: state).status, 0)
        XCTAssertEqual(try store.find(billtype: "2", billnum: billnum), record, "committed data survived")
        XCTAssertEqual(try store.begin(TestDatabase.input(billnum)), .existing(record))
        XCTAssertGreaterThanOrEqual(store.connection.reconnectCount, 1)
    }

    /// Runs scripts/mariadb.sh for a private instance in `state`, ignoring any THREEPAY_DB_* of this process.
    private static func script(_ command: String, state: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestDatabase.packageRoot + "/scripts/mariadb.sh", command]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("THREEPAY_") }
        environment["THREEPAY_STATE_DIR"] = state
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
