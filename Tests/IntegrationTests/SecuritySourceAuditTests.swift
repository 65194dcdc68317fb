import Foundation
import MariaDB
import XCTest

/// Security review: "Nothing of a request is interpolated into SQL, shell commands or log formats" — the part a
/// reading of the product sources (Sources/, found from this file's path) can show.
final class SecuritySourceAuditTests: XCTestCase {
    /// Every SQL text reaches MariaDB as a constant: values travel only as bound parameters.
    func testSQLTextIsAlwaysAConstant() throws {
        let sources = try SecuritySources.read()
        // Only the MariaDB module talks to Connector/C, and only through prepared statements.
        for file in sources where file.code.contains("import CMariaDB") {
            XCTAssertTrue(file.path.hasPrefix("MariaDB/"), "\(file.path) uses Connector/C directly")
        }
        for file in sources {
            for name in ["mysql_query", "mysql_real_query", "mysql_send_query", "mysql_real_escape_string"] {
                XCTAssertFalse(file.code.contains(name), "\(file.path) uses \(name) (SQL text without parameters)")
            }
            if file.code.contains("mysql_stmt_prepare") {
                XCTAssertEqual(file.path, "MariaDB/PreparedStatement.swift")
            }
        }
        // `call` and `execute` are the only ways in; a new entry point must be audited here first.
        let connection = try XCTUnwrap(sources.first { $0.path == "MariaDB/Connection.swift" })
        XCTAssertEqual(Set(SecuritySources.matches(#"public func (\w+)"#, in: connection.code)), ["call", "execute", "close"])

        // The one SQL text built with interpolation: `CALL <name>(?, …)`, after `call` checked that the name is
        // letters, digits and `_` (testCallRefusesInjectedProcedureNames runs that check).
        let built = sources.flatMap { file in
            file.lines.filter { line in
                line.contains("\\(") && SecuritySources.sqlKeyword.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
            }.map { "\(file.path): \($0.trimmingCharacters(in: .whitespaces))" }
        }
        XCTAssertEqual(built, [#"MariaDB/Connection.swift: return try execute("CALL \(procedure)(\(placeholders))", arguments, idempotent: idempotent)"#])
        XCTAssertTrue(connection.code.contains(#"procedure.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 < 128 && isAlphanumeric($0)) })"#))

        // Every caller outside the MariaDB module hands over a constant: a ProcedureNames member, a literal, or a
        // `let` made of literals only. PaymentRecords' private helpers pass their `procedure` parameter on; their
        // own callers are checked by the same rule.
        var sites = 0
        for file in sources where !file.path.hasPrefix("MariaDB/") {
            let pattern = #"(?:\.(?:call|execute)|(?<!func )\b(?:rows|singleRow|optionalRow|callRecord|callOptionalRecord))\(\s*([^,)\n]+)"#
            for argument in SecuritySources.matches(pattern, in: file.code) {
                sites += 1
                let argument = argument.trimmingCharacters(in: .whitespaces)
                if argument.hasPrefix("ProcedureNames.") { continue }
                if argument == "procedure", file.path == "PaymentStore/PaymentRecords.swift" { continue }
                if argument.hasPrefix("\""), !argument.contains("\\(") { continue }
                let name = NSRegularExpression.escapedPattern(for: argument)
                let binding = #"let \#(name) = ("[^"\\\n]*"(?:\s*\+\s*"[^"\\\n]*")*)\s*\n"#
                XCTAssertFalse(
                    SecuritySources.matches(binding, in: file.code).isEmpty,
                    "\(file.path): SQL from `\(argument)` is not a constant")
            }
        }
        XCTAssertGreaterThanOrEqual(sites, 15, "the audit found the store's calls")

        let names = try XCTUnwrap(sources.first { $0.path == "PaymentStore/ProcedureNames.swift" })
        let constants = SecuritySources.matches(#"static let \w+ = "([^"]*)""#, in: names.code)
        XCTAssertGreaterThanOrEqual(constants.count, 15)
        for constant in constants {
            XCTAssertNotNil(constant.range(of: "^[A-Za-z0-9_]{1,64}$", options: .regularExpression), constant)
        }
    }

    /// The one statement built from a name refuses names that carry SQL, before anything reaches the server.
    func testCallRefusesInjectedProcedureNames() throws {
        let connection = try StackDatabase().connection
        XCTAssertNoThrow(try connection.call("Sp_3Pay_Offline_ReceiveMoney_Get", [.int(999_999_999)], idempotent: false),
                         "control: a real name works")
        for name in [
            "Sp_3Pay_Offline_ReceiveMoney_Get(1); DROP TABLE T_3Pay_Offline_ReceiveMoney; --",
            "Sp_3Pay_Offline_ReceiveMoney_Get`", "Sp_3Pay_Offline_ReceiveMoney_Get /*", "Sp_3Pay_Offline_ReceiveMoney_Gét", "",
        ] {
            XCTAssertThrowsError(try connection.call(name, [.int(1)], idempotent: false), name) { error in
                guard case MariaDBError.usage = error else { return XCTFail("\(name): \(error)") }
            }
        }
        XCTAssertNoThrow(try StackDatabase().records(billnum: "none"), "the table is still there")
    }

    /// No product source starts a process or a shell.
    func testNoProductSourceStartsProcesses() throws {
        // Nothing is allowed today: ThreePay and the sandbox talk to MariaDB and Alipay through libraries.
        let allowed: Set<String> = []
        let pattern = #"\bProcess\s*\(|\bProcess\.|\bNSTask\b|\b(?:system|popen|fork|vfork|execv|execve|execvp|execl|execle|execlp|posix_spawnp?)\s*\(|/bin/(?:ba)?sh\b"#
        var found: [String] = []
        let sources = try SecuritySources.read(extensions: ["swift", "c", "h"])
        XCTAssertGreaterThan(sources.count, 100, "the audit reads the sources")
        for file in sources {
            for line in file.lines where line.range(of: pattern, options: .regularExpression) != nil {
                let site = "\(file.path): \(line.trimmingCharacters(in: .whitespaces))"
                if !allowed.contains(site) { found.append(site) }
            }
        }
        XCTAssertEqual(found, [])
        // The pattern does find such a call.
        XCTAssertNotNil("let p = Process()".range(of: pattern, options: .regularExpression))
        XCTAssertNotNil("popen(command, \"r\")".range(of: pattern, options: .regularExpression))
    }

    /// No log line or message goes through a format string (printf family, String(format:), NSLog, syslog):
    /// logs are built as Swift text and written with write(2), so `%n%s` in a request is only text.
    func testNoFormatStringsInProductSources() throws {
        let pattern = #"\b(?:printf|fprintf|dprintf|sprintf|snprintf|vprintf|vfprintf|vsnprintf|NSLog|syslog|os_log)\s*\(|String\(format:"#
        var found: [String] = []
        for file in try SecuritySources.read(extensions: ["swift", "c", "h"]) {
            for line in file.lines where line.range(of: pattern, options: .regularExpression) != nil {
                found.append("\(file.path): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        XCTAssertEqual(found, [])
    }
}

/// The product sources, with comments removed.
enum SecuritySources {
    struct File {
        /// Relative to Sources/, e.g. `MariaDB/Connection.swift`.
        let path: String
        /// The text without comments.
        let code: String
        var lines: [String] { code.components(separatedBy: "\n") }
    }

    static let root = TestStack.packageRoot.appendingPathComponent("Sources")
    static let sqlKeyword = try! NSRegularExpression(
        pattern: #"\b(SELECT|INSERT|UPDATE|DELETE|CALL|REPLACE|WHERE|DROP|ALTER|FROM|VALUES|EXECUTE|PREPARE)\b"#)

    static func read(extensions: Set<String> = ["swift"]) throws -> [File] {
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        var files: [File] = []
        for case let url as URL in enumerator where extensions.contains(url.pathExtension) {
            let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            files.append(File(path: path, code: withoutComments(try String(contentsOf: url, encoding: .utf8))))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Drops `/* … */` blocks and `//` to the end of the line (when the `//` is not inside a string literal).
    static func withoutComments(_ text: String) -> String {
        let noBlocks = text.replacingOccurrences(of: #"/\*[\s\S]*?\*/"#, with: "", options: .regularExpression)
        return noBlocks.components(separatedBy: "\n").map { line -> String in
            var quotes = 0
            var previous: Character = " "
            for index in line.indices {
                let character = line[index]
                if character == "\"", previous != "\\" { quotes += 1 }
                if character == "/", previous == "/", quotes % 2 == 0 {
                    return String(line[..<line.index(before: index)])
                }
                previous = character
            }
            return line
        }.joined(separator: "\n")
    }

    /// The first capture group (or the whole match) of every match of `pattern` in `text`.
    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            let range = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
            return Range(range, in: text).map { String(text[$0]) }
        }
    }
}
