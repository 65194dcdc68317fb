import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import TestSupport
import XCTest

/// A fresh database with sql/ applied, on the same server as `TestDatabase`, dropped by `drop()`.
///
/// The callback outbox and the sweep list are queues over the whole database: in the shared one, rows of other
/// tests (and a running service's deliverer or sweep) would take part. Each test that checks them owns one of
/// these. Names start with `threepay_t`; the test account needs CREATE and DROP on them.
final class IsolatedDatabase {
    let name: String
    let settings: ConnectionSettings

    private init(name: String, settings: ConnectionSettings) {
        self.name = name
        self.settings = settings
    }

    /// Creates the database and applies sql/ with `scripts/mariadb.sh apply-sql`.
    static func create(file: StaticString = #filePath, line: UInt = #line) throws -> IsolatedDatabase {
        let shared = try TestDatabase.settings()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let name = "threepay_t" + String((0..<12).map { _ in alphabet.randomElement()! })
        // A plain identifier built above, so it may be spliced into the statement.
        _ = try TestDatabase.connect(file: file, line: line)
            .execute("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        var settings = shared
        settings.database = name
        let database = IsolatedDatabase(name: name, settings: settings)
        do {
            try database.applySQL()
        } catch {
            database.drop()
            XCTFail("applying sql/ to \(name) failed: \(error)", file: file, line: line)
            throw error
        }
        return database
    }

    /// A store on a new connection to this database.
    func store() throws -> PaymentRecords {
        try PaymentRecords(connectionSettings: settings)
    }

    /// A plain connection to this database, for direct checks and for moving times into the past.
    func connect() throws -> Connection {
        try Connection(settings: settings)
    }

    /// Drops the database; failures are ignored (the next run uses another name).
    func drop() {
        _ = try? TestDatabase.connect().execute("DROP DATABASE IF EXISTS `\(name)`")
    }

    /// Applies sql/ (again) with `scripts/mariadb.sh apply-sql`, as an upgrade does.
    func applySQL() throws {
        var environment = ProcessInfo.processInfo.environment
        for key in TestDatabaseSettings.variableNames { environment[key] = nil }
        environment.merge(TestDatabaseSettings.environment(for: settings)) { _, ours in ours }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestDatabase.packageRoot + "/scripts/mariadb.sh", "apply-sql"]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw TestFailure("scripts/mariadb.sh apply-sql exited \(process.terminationStatus): \(text)")
        }
    }
}

/// A test case whose every test gets its own `IsolatedDatabase`, a store and a connection on it.
class IsolatedDatabaseTestCase: XCTestCase {
    var database: IsolatedDatabase!
    var store: PaymentRecords!
    var connection: Connection!

    override func setUpWithError() throws {
        database = try IsolatedDatabase.create()
        store = try database.store()
        connection = try database.connect()
    }

    override func tearDown() {
        store = nil
        connection = nil
        database?.drop()
        database = nil
    }
}
