import Foundation
import MariaDB

/// The MariaDB server the tests use, chosen by the variables scripts/test.sh exports. The service reads its
/// own database settings only through ThreePayApp's `Configuration`; this is the tests' reading of them.
public enum TestDatabaseSettings {
    /// - `THREEPAY_TEST_DB_SOCKET`: the private instance scripts/test.sh started (set when no server is named);
    ///   no password, the user is `THREEPAY_DB_USER` or this process's login name (unix_socket authentication).
    /// - else `THREEPAY_DB_SOCKET`, or `THREEPAY_DB_HOST` with `THREEPAY_DB_PORT` (default 3306), with
    ///   `THREEPAY_DB_USER` (default: the login name) and `THREEPAY_DB_PASSWORD` or `THREEPAY_DB_PASSWORD_FILE`
    ///   (the first line of the file);
    /// - else the private instance's socket at `defaultSocketPath`.
    ///
    /// `THREEPAY_DB_NAME` names the database (default `threepay`). Empty variables count as unset.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, defaultSocketPath: String
    ) throws -> ConnectionSettings {
        func value(_ key: String) -> String? {
            guard let text = environment[key], !text.isEmpty else { return nil }
            return text
        }
        let user = value("THREEPAY_DB_USER") ?? ProcessInfo.processInfo.userName
        let database = value("THREEPAY_DB_NAME") ?? "threepay"
        if let socket = value("THREEPAY_TEST_DB_SOCKET") {
            return ConnectionSettings(endpoint: .unixSocket(path: socket), user: user, database: database)
        }
        let endpoint: ConnectionSettings.Endpoint
        if let socket = value("THREEPAY_DB_SOCKET") {
            endpoint = .unixSocket(path: socket)
        } else if let host = value("THREEPAY_DB_HOST") {
            guard let port = Int(value("THREEPAY_DB_PORT") ?? "3306"), (1...65535).contains(port) else {
                throw TestFailure("THREEPAY_DB_PORT must be a port number")
            }
            endpoint = .tcp(host: host, port: port)
        } else {
            endpoint = .unixSocket(path: defaultSocketPath)
        }
        var password = value("THREEPAY_DB_PASSWORD")
        if password == nil, let file = value("THREEPAY_DB_PASSWORD_FILE") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw TestFailure("THREEPAY_DB_PASSWORD_FILE cannot be read")
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        }
        return ConnectionSettings(endpoint: endpoint, user: user, password: password, database: database)
    }

    /// The `THREEPAY_DB_*` variables that make scripts/mariadb.sh and `threepay` reach `settings`. A password
    /// is passed as `THREEPAY_DB_PASSWORD`; the variables of the other endpoint kind are absent.
    public static func environment(for settings: ConnectionSettings) -> [String: String] {
        var variables = ["THREEPAY_DB_USER": settings.user, "THREEPAY_DB_NAME": settings.database]
        switch settings.endpoint {
        case .unixSocket(let path):
            variables["THREEPAY_DB_SOCKET"] = path
        case .tcp(let host, let port):
            variables["THREEPAY_DB_HOST"] = host
            variables["THREEPAY_DB_PORT"] = String(port)
        }
        if let password = settings.password { variables["THREEPAY_DB_PASSWORD"] = password }
        return variables
    }

    /// The `THREEPAY_DB_*` names `environment(for:)` may set, and the password file it never passes on: remove
    /// these from an inherited environment before adding that dictionary.
    public static let variableNames = [
        "THREEPAY_DB_HOST", "THREEPAY_DB_PORT", "THREEPAY_DB_SOCKET", "THREEPAY_DB_USER", "THREEPAY_DB_PASSWORD",
        "THREEPAY_DB_PASSWORD_FILE", "THREEPAY_DB_NAME",
    ]
}
