import Foundation
import MariaDB
import XCTest

/// What a Galera cluster asks of the schema and procedures (sql/README.md, "Galera"), checked on the database the
/// tests use: every table is InnoDB with a primary key (Galera replicates only InnoDB, and row events of a table
/// without one cannot be applied reliably), and no procedure depends on state one server keeps for one session or
/// locks Galera does not replicate (GET_LOCK, LOCK TABLES, user variables).
final class GaleraFitnessTests: XCTestCase {
    func testEveryTableIsInnoDBWithAPrimaryKey() throws {
        let connection = try TestDatabase.connect()
        let tables = try connection.execute("""
            SELECT t.TABLE_NAME AS name, t.ENGINE AS engine,
                   (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS c
                     WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
                       AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') AS pk
              FROM information_schema.TABLES t
             WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
            """).first?.rows ?? []
        XCTAssertGreaterThanOrEqual(tables.count, 21, "the schema's tables are there")
        for table in tables {
            let name = try table.string("name") ?? "?"
            XCTAssertEqual(try table.string("engine"), "InnoDB", name)
            XCTAssertEqual(try table.int64("pk"), 1, "\(name) has a primary key")
        }
    }

    func testNoProcedureUsesLocksOrStateGaleraDoesNotReplicate() throws {
        let connection = try TestDatabase.connect()
        let routines = try connection.execute("""
            SELECT ROUTINE_NAME AS name, ROUTINE_DEFINITION AS body FROM information_schema.ROUTINES
             WHERE ROUTINE_SCHEMA = DATABASE()
            """).first?.rows ?? []
        XCTAssertGreaterThanOrEqual(routines.count, 30, "the procedures are there")
        let forbidden = try NSRegularExpression(
            pattern: #"GET_LOCK|RELEASE_LOCK|IS_FREE_LOCK|LOCK\s+TABLES?|(?<!@)@[A-Za-z_`]|CREATE\s+TEMPORARY"#,
            options: [.caseInsensitive])
        for routine in routines {
            let name = try routine.string("name") ?? "?"
            let body = try XCTUnwrap(routine.string("body"), "\(name): its text is readable")
            let range = NSRange(body.startIndex..., in: body)
            if let match = forbidden.firstMatch(in: body, range: range), let found = Range(match.range, in: body) {
                XCTFail("\(name) uses \(body[found])")
            }
        }
    }
}
