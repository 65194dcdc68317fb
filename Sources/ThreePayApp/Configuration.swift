import FastCGI
import Foundation
public import PaymentStore

/// Every setting of the responder, read once at start-up from the environment and an optional
/// `KEY=VALUE` file (the format systemd's `EnvironmentFile=` reads). The environment wins over the file.
///
/// | Key | Meaning | Default |
/// |---|---|---|
/// | THREEPAY_LISTEN | unix socket path, `host:port`, or `fd:0` | fd 0 when it is a socket, else `./var/threepay.sock` |
/// | THREEPAY_WORKERS | requests served at once (one thread, DB connection and HTTP handle each), 1–300 | 64 |
/// | THREEPAY_MAX_BODY | largest request body in bytes | 65536 |
/// | THREEPAY_SOCKET_MODE | permissions of the unix socket, octal | 660 |
/// | THREEPAY_DB_HOST / _PORT / _SOCKET | MariaDB server (socket wins) | — / 3306 / — |
/// | THREEPAY_DB_HOSTS / _SOCKETS | the nodes of a Galera cluster, comma-separated (`host[:port]` / socket paths) | — |
/// | THREEPAY_DB_USER / _PASSWORD / _NAME | credentials and database | threepay / (none) / threepay |
/// | THREEPAY_DB_TIMEOUT | connect, read and write timeout, seconds | 5 |
/// | THREEPAY_ALIPAY_GATEWAY | Alipay OpenAPI gateway URL | https://openapi.alipay.com/gateway.do |
/// | THREEPAY_ALIPAY_APP_ID | the merchant's APPID | required |
/// | THREEPAY_ALIPAY_APP_PRIVATE_KEY | merchant private key: a file path or the key itself | required |
/// | THREEPAY_ALIPAY_PUBLIC_KEY | Alipay's public key: a file path or the key itself | required |
/// | THREEPAY_ALIPAY_NOTIFY_URL | where Alipay sends payment notifications | none |
/// | THREEPAY_ALIPAY_SELLER_ID | expected seller_id in notifications | not checked |
/// | THREEPAY_ALIPAY_CONNECT_TIMEOUT / _TIMEOUT | gateway timeouts, milliseconds | 3000 / 15000 |
/// | THREEPAY_ALIPAY_CA_FILE | CA bundle for the gateway's TLS certificate | system store |
/// | THREEPAY_DEFAULT_CLIENT_IP | client IP sent when the request has none | 202.96.128.68 |
/// | THREEPAY_QR_TIMEOUT | QR code validity (`15m`, `2h`: Alipay's syntax, 1m–120m) | 15m |
/// | THREEPAY_CALLBACK_URL_1 … _7 | where the business system of that billtype wants paid bills POSTed | none (no callback) |
/// | THREEPAY_CALLBACK_SECRET | HMAC-SHA256 key for callbacks: a file path or the secret itself | required with a URL |
/// | THREEPAY_SWEEP_INTERVAL | seconds between sweeps inside the service (0 = only `threepay sweep` from cron) | 60 |
/// | THREEPAY_CALLBACK_POSTERS | threads delivering the callback outbox (one DB connection and HTTP handle each), 1–16 | 1 |
/// | THREEPAY_REQUEST_DEADLINE_MS | the most one request may take, every wait and retry included | 18000 |
/// | THREEPAY_GATEWAY_CONCURRENCY | Alipay calls under way at once; more are answered 4002 at once | 3/4 of the workers |
/// | THREEPAY_BUSY_WAIT_MS | how long every worker must be busy, taking up fewer new requests than there are workers, before waiting requests are answered 4003 | 1000 |
public struct Configuration: Sendable {
    public var listen: ListenAddress
    public var workers: Int
    public var maxBody: Int
    public var socketMode: Int
    public var database: DatabaseSettings
    public var alipay: AlipaySettings
    public var defaultClientIP: String
    public var qrTimeout: QRTimeout
    /// Callback URL per billtype ("1"…"7").
    public var callbackURLs: [String: String]
    public var callbackSecret: String?
    public var sweepIntervalSeconds: Int
    /// Threads that deliver the callback outbox at once (the first of them also sweeps).
    public var callbackPosters: Int
    /// How long one request may take, all waits and retries included; answered before nginx gives up.
    public var requestDeadlineMilliseconds: Int
    /// Alipay calls under way at once in this responder (the rest are not sent: 4002), so that a hanging gateway
    /// leaves workers for Query, health and Notify.
    public var gatewayConcurrency: Int
    /// How long every worker must have been busy before requests waiting for one are answered 4003.
    public var busyWaitMilliseconds: Int

    public struct AlipaySettings: Sendable {
        public var gateway: String
        public var appID: String?
        public var appPrivateKey: String?
        public var alipayPublicKey: String?
        public var notifyURL: String?
        public var sellerID: String?
        public var connectTimeoutMilliseconds: Int
        public var timeoutMilliseconds: Int
        public var caFile: String?
    }

    /// Settings the responder knows. Keys read only by the scripts are listed so that they are not
    /// reported as unknown when the same environment starts everything.
    static let responderKeys: Set<String> = Set([
        "THREEPAY_LISTEN", "THREEPAY_WORKERS", "THREEPAY_MAX_BODY", "THREEPAY_SOCKET_MODE",
        "THREEPAY_DB_HOST", "THREEPAY_DB_PORT", "THREEPAY_DB_SOCKET", "THREEPAY_DB_HOSTS", "THREEPAY_DB_SOCKETS",
        "THREEPAY_DB_USER",
        "THREEPAY_DB_PASSWORD", "THREEPAY_DB_NAME", "THREEPAY_DB_TIMEOUT",
        "THREEPAY_ALIPAY_GATEWAY", "THREEPAY_ALIPAY_APP_ID", "THREEPAY_ALIPAY_APP_PRIVATE_KEY",
        "THREEPAY_ALIPAY_PUBLIC_KEY", "THREEPAY_ALIPAY_NOTIFY_URL", "THREEPAY_ALIPAY_SELLER_ID",
        "THREEPAY_ALIPAY_CONNECT_TIMEOUT", "THREEPAY_ALIPAY_TIMEOUT", "THREEPAY_ALIPAY_CA_FILE",
        "THREEPAY_DEFAULT_CLIENT_IP", "THREEPAY_QR_TIMEOUT", "THREEPAY_CONFIG",
        "THREEPAY_CALLBACK_SECRET", "THREEPAY_SWEEP_INTERVAL", "THREEPAY_CALLBACK_POSTERS",
        "THREEPAY_REQUEST_DEADLINE_MS",
        "THREEPAY_GATEWAY_CONCURRENCY", "THREEPAY_BUSY_WAIT_MS",
    ]).union((1...7).map { "THREEPAY_CALLBACK_URL_\($0)" })
    static let scriptKeys: Set<String> = [
        "THREEPAY_HTTP_PORT", "THREEPAY_STATE_DIR", "THREEPAY_BUILD_CONFIG", "THREEPAY_DB_TCP_PORT",
        "THREEPAY_DB_THREAD_HANDLING", "THREEPAY_SCRATCH_PATH",
    ]
    static let ignoredPrefixes = ["THREEPAY_SANDBOX_", "THREEPAY_TEST_", "THREEPAY_BENCH_", "THREEPAY_CLUSTER_"]

    /// Reads the settings. Every problem is collected, so an operator sees all of them at once.
    public static func load(
        environment: [String: String], file: String? = nil
    ) -> Result<Configuration, ConfigurationError> {
        var problems: [String] = []
        var values: [String: String] = [:]
        if let file {
            switch EnvironmentFile.parse(file) {
            case .success(let entries):
                for (key, value) in entries { values[key] = value }
            case .failure(let error):
                problems.append(contentsOf: error.problems)
            }
        }
        for (key, value) in environment where key.hasPrefix("THREEPAY_") { values[key] = value }
        for key in values.keys.sorted() where !isKnown(key) {
            problems.append("\(key) is not a ThreePay setting (check the spelling; see README, Configuration)")
        }
        var reader = SettingReader(values: values)
        let databasePort = reader.integer("THREEPAY_DB_PORT", default: 3306, range: 1...65535)
        let databaseNodes = reader.databaseNodes(defaultPort: databasePort)
        let listenText = reader.string("THREEPAY_LISTEN")
        var listen = ListenAddress.unixSocket(path: "./var/threepay.sock")
        if let listenText {
            do { listen = try ListenAddress(parsing: listenText) } catch {
                reader.problems.append("THREEPAY_LISTEN: \(error.reason)")
            }
        } else if StandardInput.isSocket {
            listen = .inherited
        }
        var configuration = Configuration(
            listen: listen,
            // Each worker holds about three descriptors (nginx, MariaDB, Alipay); libfcgi still uses
            // select() on some paths, which must never see a descriptor above 1023.
            workers: reader.integer("THREEPAY_WORKERS", default: 64, range: 1...300),
            maxBody: reader.integer("THREEPAY_MAX_BODY", default: 65536, range: 1024...(64 << 20)),
            socketMode: reader.octal("THREEPAY_SOCKET_MODE", default: 0o660),
            database: DatabaseSettings(
                host: reader.string("THREEPAY_DB_HOST"),
                port: databasePort,
                socket: reader.string("THREEPAY_DB_SOCKET"),
                nodes: databaseNodes,
                user: reader.string("THREEPAY_DB_USER") ?? "threepay",
                password: reader.string("THREEPAY_DB_PASSWORD"),
                name: reader.string("THREEPAY_DB_NAME") ?? "threepay",
                timeoutSeconds: reader.integer("THREEPAY_DB_TIMEOUT", default: 5, range: 1...300)),
            alipay: AlipaySettings(
                gateway: reader.url("THREEPAY_ALIPAY_GATEWAY") ?? "https://openapi.alipay.com/gateway.do",
                appID: reader.string("THREEPAY_ALIPAY_APP_ID"),
                appPrivateKey: reader.string("THREEPAY_ALIPAY_APP_PRIVATE_KEY"),
                alipayPublicKey: reader.string("THREEPAY_ALIPAY_PUBLIC_KEY"),
                notifyURL: reader.url("THREEPAY_ALIPAY_NOTIFY_URL"),
                sellerID: reader.string("THREEPAY_ALIPAY_SELLER_ID"),
                connectTimeoutMilliseconds: reader.integer(
                    "THREEPAY_ALIPAY_CONNECT_TIMEOUT", default: 3000, range: 100...60000),
                timeoutMilliseconds: reader.integer("THREEPAY_ALIPAY_TIMEOUT", default: 15000, range: 100...120000),
                caFile: reader.string("THREEPAY_ALIPAY_CA_FILE")),
            defaultClientIP: reader.string("THREEPAY_DEFAULT_CLIENT_IP") ?? "202.96.128.68",
            qrTimeout: reader.qrTimeout("THREEPAY_QR_TIMEOUT", default: QRTimeout(minutes: 15)),
            callbackURLs: Dictionary(uniqueKeysWithValues: (1...7).compactMap { billtype in
                reader.url("THREEPAY_CALLBACK_URL_\(billtype)").map { (String(billtype), $0) }
            }),
            callbackSecret: reader.string("THREEPAY_CALLBACK_SECRET"),
            sweepIntervalSeconds: reader.integer("THREEPAY_SWEEP_INTERVAL", default: 60, range: 0...86400),
            callbackPosters: reader.integer("THREEPAY_CALLBACK_POSTERS", default: 1, range: 1...16),
            // Comfortably under nginx's fastcgi_read_timeout (30 s in the shipped snippet).
            requestDeadlineMilliseconds: reader.integer(
                "THREEPAY_REQUEST_DEADLINE_MS", default: 18000, range: 1000...300_000),
            gatewayConcurrency: 0,
            busyWaitMilliseconds: reader.integer("THREEPAY_BUSY_WAIT_MS", default: 1000, range: 10...60_000))
        configuration.gatewayConcurrency = reader.integer(
            "THREEPAY_GATEWAY_CONCURRENCY", default: max(1, configuration.workers * 3 / 4),
            range: 1...configuration.workers)
        problems.append(contentsOf: reader.problems)
        if configuration.alipay.appID == nil {
            problems.append("THREEPAY_ALIPAY_APP_ID is required (the APPID from Alipay's open platform)")
        }
        if configuration.alipay.appPrivateKey == nil {
            problems.append("THREEPAY_ALIPAY_APP_PRIVATE_KEY is required (a file path or the key itself)")
        }
        if configuration.alipay.alipayPublicKey == nil {
            problems.append("THREEPAY_ALIPAY_PUBLIC_KEY is required (Alipay's public key: a file path or the key itself)")
        }
        if !configuration.callbackURLs.isEmpty, configuration.callbackSecret == nil {
            problems.append("THREEPAY_CALLBACK_SECRET is required when a THREEPAY_CALLBACK_URL_n is set (callbacks are signed)")
        }
        if !configuration.database.isConfigured {
            problems.append("THREEPAY_DB_SOCKET or THREEPAY_DB_HOST is required (make run starts a private MariaDB and sets it; a cluster: THREEPAY_DB_SOCKETS or THREEPAY_DB_HOSTS)")
        }
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationError(problems: problems))
    }

    static func isKnown(_ key: String) -> Bool {
        responderKeys.contains(key) || scriptKeys.contains(key)
            || ignoredPrefixes.contains { key.hasPrefix($0) }
    }
}

/// The QR code validity: whole minutes, sent to Alipay as `Nm`.
public struct QRTimeout: Sendable, Equatable {
    public let minutes: Int
    public var seconds: Int { minutes * 60 }
    /// Alipay's `timeout_express` / `qr_code_timeout_express` syntax.
    public var alipayText: String { "\(minutes)m" }
}

/// All the problems found in the settings.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "configuration problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Whether fd 0 is a socket (systemd socket activation or spawn-fcgi).
enum StandardInput {
    static var isSocket: Bool {
        var info = stat()
        return fstat(0, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }
}
