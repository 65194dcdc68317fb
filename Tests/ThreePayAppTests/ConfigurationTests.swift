import FastCGI
@testable import ThreePayApp
import XCTest

/// `Configuration.load`: the environment and the optional KEY=VALUE file, the environment winning; unknown
/// names and malformed values are all reported at once, naming the setting and never a secret's value.
final class ConfigurationTests: XCTestCase {
    /// The settings a responder cannot start without.
    private static let required = [
        "THREEPAY_LISTEN": "/run/threepay/threepay.sock",
        "THREEPAY_DB_SOCKET": "/run/mysqld/mysqld.sock",
        "THREEPAY_ALIPAY_APP_ID": "2021000000000001",
        "THREEPAY_ALIPAY_APP_PRIVATE_KEY": "/etc/threepay/app_private.pem",
        "THREEPAY_ALIPAY_PUBLIC_KEY": "/etc/threepay/alipay_public.pem",
    ]

    private func load(_ environment: [String: String], file: String? = nil) -> Result<Configuration, ConfigurationError> {
        Configuration.load(environment: environment, file: file)
    }

    private func problems(_ environment: [String: String], file: String? = nil, line: UInt = #line) -> [String] {
        switch load(environment, file: file) {
        case .success:
            XCTFail("the settings were accepted", line: line)
            return []
        case .failure(let error):
            return error.problems
        }
    }

    private func with(_ changes: [String: String?]) -> [String: String] {
        var environment = Self.required
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    // MARK: Defaults and precedence

    func testRequiredSettingsAloneGiveTheDocumentedDefaults() throws {
        let configuration = try load(Self.required).get()
        XCTAssertEqual(configuration.listen, .unixSocket(path: "/run/threepay/threepay.sock"))
        XCTAssertEqual(configuration.workers, 64)
        XCTAssertEqual(configuration.maxBody, 65536)
        XCTAssertEqual(configuration.socketMode, 0o660)
        XCTAssertEqual(configuration.database.socket, "/run/mysqld/mysqld.sock")
        XCTAssertNil(configuration.database.host)
        XCTAssertEqual(configuration.database.port, 3306)
        XCTAssertEqual(configuration.database.user, "threepay")
        XCTAssertNil(configuration.database.password)
        XCTAssertEqual(configuration.database.name, "threepay")
        XCTAssertEqual(configuration.database.timeoutSeconds, 5)
        XCTAssertEqual(configuration.alipay.gateway, "https://openapi.alipay.com/gateway.do")
        XCTAssertEqual(configuration.alipay.connectTimeoutMilliseconds, 3000)
        XCTAssertEqual(configuration.alipay.timeoutMilliseconds, 15000)
        XCTAssertNil(configuration.alipay.notifyURL)
        XCTAssertEqual(configuration.defaultClientIP, "202.96.128.68")
        XCTAssertEqual(configuration.qrTimeout, QRTimeout(minutes: 15))
        XCTAssertEqual(configuration.callbackURLs, [:])
        XCTAssertEqual(configuration.sweepIntervalSeconds, 60)
        XCTAssertEqual(configuration.callbackPosters, 1)
    }

    func testTheEnvironmentWinsOverTheFile() throws {
        let file = """
            THREEPAY_WORKERS=8
            THREEPAY_MAX_BODY=2048
            THREEPAY_DB_USER=from_file
            THREEPAY_QR_TIMEOUT=not a timeout
            """
        let configuration = try load(with(["THREEPAY_WORKERS": "16", "THREEPAY_QR_TIMEOUT": "2h"]), file: file).get()
        XCTAssertEqual(configuration.workers, 16, "the environment's value")
        XCTAssertEqual(configuration.maxBody, 2048, "the file's value where the environment has none")
        XCTAssertEqual(configuration.database.user, "from_file")
        XCTAssertEqual(configuration.qrTimeout, QRTimeout(minutes: 120), "a bad value the environment replaces is never read")
    }

    func testTheFileMaySupplyEverything() throws {
        let file = Self.required.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n")
        let configuration = try load(["PATH": "/usr/bin"], file: file).get()
        XCTAssertEqual(configuration.alipay.appID, "2021000000000001")
        XCTAssertEqual(configuration.database.socket, "/run/mysqld/mysqld.sock")
    }

    // MARK: Names

    func testUnknownThreePayNamesAreReportedByName() {
        let found = problems(with(["THREEPAY_WORKRES": "8", "THREEPAY_DB_PASSWROD": "hunter2-never-shown"]),
                             file: "THREEPAY_ALIPAY_TIMOUT=5000\n")
        XCTAssertEqual(found.filter { $0.contains("is not a ThreePay setting") }.sorted(), [
            "THREEPAY_ALIPAY_TIMOUT is not a ThreePay setting (check the spelling; see README, Configuration)",
            "THREEPAY_DB_PASSWROD is not a ThreePay setting (check the spelling; see README, Configuration)",
            "THREEPAY_WORKRES is not a ThreePay setting (check the spelling; see README, Configuration)",
        ])
        XCTAssertFalse(found.joined().contains("hunter2"), "the value of a misspelt setting is not shown")
    }

    func testOtherProgramsNamesAreLeftAlone() throws {
        let configuration = try load(with([
            "PATH": "/usr/bin", "HOME": "/root", "threepay_workers": "x",
            "THREEPAY_HTTP_PORT": "8080", "THREEPAY_STATE_DIR": "./var", "THREEPAY_BUILD_CONFIG": "debug",
            "THREEPAY_DB_TCP_PORT": "3307", "THREEPAY_SCRATCH_PATH": "/tmp/b", "THREEPAY_CONFIG": "/etc/threepay.env",
            "THREEPAY_SANDBOX_ANYTHING": "1", "THREEPAY_TEST_ANYTHING": "1", "THREEPAY_BENCH_ANYTHING": "1",
        ])).get()
        XCTAssertEqual(configuration.workers, 64, "a lower-case name is not a setting")
    }

    // MARK: Values

    func testMalformedValuesAreAllReportedNamingTheSetting() {
        let bad: [String: String] = [
            "THREEPAY_WORKERS": "0", "THREEPAY_MAX_BODY": "1023", "THREEPAY_SOCKET_MODE": "8",
            "THREEPAY_DB_PORT": "65536", "THREEPAY_DB_TIMEOUT": "ten", "THREEPAY_ALIPAY_CONNECT_TIMEOUT": "99",
            "THREEPAY_ALIPAY_TIMEOUT": "120001", "THREEPAY_SWEEP_INTERVAL": "-1", "THREEPAY_QR_TIMEOUT": "3h",
            "THREEPAY_ALIPAY_GATEWAY": "ftp://openapi.alipay.com/gateway.do",
            "THREEPAY_ALIPAY_NOTIFY_URL": "https://pay.example.com/a b", "THREEPAY_CALLBACK_URL_3": "pos.example.com/cb",
            "THREEPAY_LISTEN": "localhost:99999", "THREEPAY_CALLBACK_POSTERS": "17",
        ]
        var environment = with([:])
        environment.merge(bad) { _, new in new }
        environment["THREEPAY_CALLBACK_SECRET"] = "a-secret-of-twenty-chars"
        let found = problems(environment)
        XCTAssertEqual(found.count, bad.count, found.joined(separator: "\n"))
        for key in bad.keys {
            XCTAssertEqual(found.filter { $0.hasPrefix(key + " ") || $0.hasPrefix(key + ":") }.count, 1, "\(key): \(found)")
        }
        XCTAssertTrue(found.contains("THREEPAY_WORKERS must be a whole number from 1 to 300, not '0'"), "\(found)")
        XCTAssertTrue(found.contains("THREEPAY_SOCKET_MODE must be octal permission bits such as 660, not '8'"), "\(found)")
        XCTAssertTrue(found.contains("THREEPAY_QR_TIMEOUT must be a QR validity from 1m to 120m (e.g. 15m or 2h), not '3h'"), "\(found)")
        XCTAssertTrue(found.contains("THREEPAY_LISTEN: the port must be a number from 1 to 65535"), "\(found)")
        XCTAssertTrue(found.contains("THREEPAY_CALLBACK_POSTERS must be a whole number from 1 to 16, not '17'"), "\(found)")
    }

    func testValueForms() throws {
        let configuration = try load(with([
            "THREEPAY_WORKERS": " 300 ", "THREEPAY_SOCKET_MODE": "0640", "THREEPAY_QR_TIMEOUT": "90",
            "THREEPAY_LISTEN": ":9000", "THREEPAY_DB_HOST": "db.internal", "THREEPAY_DB_SOCKET": "",
            "THREEPAY_ALIPAY_NOTIFY_URL": "HTTPS://pay.example.com/api/3Pay/AliPay/Notify",
            "THREEPAY_CALLBACK_URL_7": "http://cards.example.com/paid", "THREEPAY_CALLBACK_SECRET": "/etc/threepay/secret",
        ])).get()
        XCTAssertEqual(configuration.workers, 300, "blanks around a number are ignored")
        XCTAssertEqual(configuration.socketMode, 0o640)
        XCTAssertEqual(configuration.qrTimeout, QRTimeout(minutes: 90), "a bare number is minutes")
        XCTAssertEqual(configuration.qrTimeout.alipayText, "90m")
        XCTAssertEqual(configuration.listen, .tcp(host: "127.0.0.1", port: 9000))
        XCTAssertNil(configuration.database.socket, "an empty setting counts as unset")
        XCTAssertEqual(configuration.database.host, "db.internal")
        XCTAssertEqual(configuration.callbackURLs, ["7": "http://cards.example.com/paid"])
    }

    func testAClusterIsNamedByItsNodes() throws {
        let sockets = try load(with([
            "THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_SOCKETS": "/var/lib/node1/mariadb.sock, /var/lib/node2/mariadb.sock",
        ])).get()
        XCTAssertEqual(sockets.database.nodes, [.socket("/var/lib/node1/mariadb.sock"), .socket("/var/lib/node2/mariadb.sock")])
        let hosts = try load(with([
            "THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_HOSTS": "db1,db2:3307 , [fd00::3]:3308,[fd00::4]",
            "THREEPAY_DB_PORT": "3310",
        ])).get()
        XCTAssertEqual(hosts.database.nodes, [
            .host("db1", port: 3310), .host("db2", port: 3307), .host("fd00::3", port: 3308), .host("fd00::4", port: 3310),
        ], "the port defaults to THREEPAY_DB_PORT")
        XCTAssertTrue(hosts.database.isConfigured)
        XCTAssertEqual(try load(Self.required).get().database.nodes, [], "one server: no list")
    }

    func testAClusterListIsRefusedWhenMalformedOrNamedTwice() {
        let cases: [([String: String?], String)] = [
            (["THREEPAY_DB_SOCKETS": "/a.sock,/b.sock"],
             "THREEPAY_DB_SOCKETS and THREEPAY_DB_SOCKET are all set: name the database one way"),
            (["THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_SOCKETS": "/a.sock", "THREEPAY_DB_HOSTS": "db1"],
             "THREEPAY_DB_SOCKETS and THREEPAY_DB_HOSTS are all set"),
            (["THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_SOCKETS": "/a.sock,,/b.sock"],
             "THREEPAY_DB_SOCKETS must be a comma-separated list without empty entries"),
            (["THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_HOSTS": "db1:99999"],
             "THREEPAY_DB_HOSTS entry 'db1:99999' must be host, host:port or [address]:port"),
            (["THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_HOSTS": "db1:3306:1"],
             "THREEPAY_DB_HOSTS entry 'db1:3306:1' must be"),
            (["THREEPAY_DB_SOCKET": nil, "THREEPAY_DB_HOSTS": "[fd00::1"], "THREEPAY_DB_HOSTS entry '[fd00::1' must be"),
        ]
        for (changes, expected) in cases {
            let found = problems(with(changes))
            XCTAssertEqual(found.filter { $0.hasPrefix(expected) }.count, 1, "\(changes): \(found)")
        }
    }

    func testMissingRequiredSettingsAreReportedTogether() {
        let found = problems(["THREEPAY_CALLBACK_URL_1": "https://scenic.example.com/paid"])
        for needed in ["THREEPAY_ALIPAY_APP_ID is required", "THREEPAY_ALIPAY_APP_PRIVATE_KEY is required",
                       "THREEPAY_ALIPAY_PUBLIC_KEY is required", "THREEPAY_CALLBACK_SECRET is required",
                       "THREEPAY_DB_SOCKET or THREEPAY_DB_HOST is required"] {
            XCTAssertEqual(found.filter { $0.hasPrefix(needed) }.count, 1, "\(needed): \(found)")
        }
        XCTAssertEqual(found.count, 5, "\(found)")
    }

    // MARK: Secrets

    func testSecretsAreNeverEchoed() {
        let password = "pa55-Word-that-must-stay-hidden"
        let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
        let secret = "callback-secret-0123456789"
        let found = problems(with([
            "THREEPAY_DB_PASSWORD": password, "THREEPAY_ALIPAY_APP_PRIVATE_KEY": key, "THREEPAY_CALLBACK_SECRET": secret,
            "THREEPAY_CALLBACK_URL_2": "ftp://pos:\(password)@pos.example.com/paid",
            "THREEPAY_WORKERS": "many",
        ]), file: """
            THREEPAY_ALIPAY_PUBLIC_KEY=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
            \(key)
            c2VjcmV0LXRoYXQtZW5kcy13aXRo=
            not a setting
            """)
        let text = ConfigurationError(problems: found).description
        XCTAssertTrue(text.contains("THREEPAY_CALLBACK_URL_2 must be an http:// or https:// URL, not 'ftp://***@pos.example.com/paid'"), text)
        XCTAssertTrue(text.contains("THREEPAY_WORKERS must be a whole number"), text)
        XCTAssertTrue(text.contains("line 2 of the settings file is not KEY=VALUE"), text)
        XCTAssertTrue(text.contains("line 3 of the settings file does not set a THREEPAY_* setting (the name is not shown)"), text)
        XCTAssertTrue(text.contains("line 4 of the settings file is not KEY=VALUE"), text)
        for hidden in [password, key, secret, "c2VjcmV0", "MIIBIjAN"] {
            XCTAssertFalse(text.contains(hidden), "\(hidden) is shown: \(text)")
        }
    }

    func testURLsAreShownWithoutTheirCredentials() {
        XCTAssertEqual(SettingReader.displayURL("https://user:pw@host.example/a@b"), "https://***@host.example/a@b")
        XCTAssertEqual(SettingReader.displayURL("http://host.example/path?q=a@b"), "http://host.example/path?q=a@b")
        XCTAssertEqual(SettingReader.displayURL("not a url"), "not a url")
    }
}

/// The responder's deadline and nginx's patience, as shipped: the responder must have answered (a database
/// that stopped answering costs at most two statement timeouts beyond the deadline) before nginx gives up.
final class DeadlineAgainstNginxTests: XCTestCase {
    func testTheDefaultDeadlineEndsBeforeTheShippedFastCGIReadTimeout() throws {
        let snippet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("nginx/threepay-location.conf")
        let text = try String(contentsOf: snippet, encoding: .utf8)
        let timeouts = text.split(separator: "\n").compactMap { line -> Int? in
            let words = line.split(whereSeparator: { $0 == " " || $0 == ";" })
            guard words.first == "fastcgi_read_timeout", words.count >= 2, words[1].hasSuffix("s") else { return nil }
            return Int(words[1].dropLast())
        }
        XCTAssertFalse(timeouts.isEmpty, "the snippet sets fastcgi_read_timeout")
        let configuration = try Configuration.load(environment: [
            "THREEPAY_ALIPAY_APP_ID": "2021000000000001", "THREEPAY_ALIPAY_APP_PRIVATE_KEY": "k",
            "THREEPAY_ALIPAY_PUBLIC_KEY": "k", "THREEPAY_DB_SOCKET": "/tmp/x.sock",
        ]).get()
        let worstCase = configuration.requestDeadlineMilliseconds + 2 * configuration.database.timeoutSeconds * 1000
        for seconds in timeouts {
            XCTAssertLessThan(worstCase, seconds * 1000, "the responder answers before nginx's \(seconds) s")
        }
    }
}
