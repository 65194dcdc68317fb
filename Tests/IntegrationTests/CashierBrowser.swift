import BarcodeReading
import CurlClient
import Foundation

/// A headless Debian chromium driven over WebDriver (with ThreePay's curl client: chromedriver's header
/// lines have no space after the colon, which Foundation's URLSession refuses). `chromedriver` is started for
/// one test on a port the kernel picks, in a process group of its own that chromium joins, with a private
/// folder for the profile and chromium's configuration; `quit()` ends the group, then any helper that left it
/// (chromium's crash handler starts a session of its own), found by the folder in its command line, and
/// removes the folder.
final class CashierBrowser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// One entry of the browser's console log.
    struct LogEntry: CustomStringConvertible {
        let level: String
        let source: String
        let message: String
        var description: String { "\(level) \(source): \(message)" }
    }

    private let driver: pid_t
    private let folder: URL
    private let endpoint: String
    private var session: String?
    private let client: HTTPClient

    /// Starts chromedriver and a browser session (one tab) with a `width` × `height` CSS-pixel viewport; a
    /// phone has a device pixel ratio of 2, touch and the mobile layout viewport.
    static func start(width: Int = 800, height: Int = 600, phone: Bool = false) throws -> CashierBrowser {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Failure("\(tool) is missing; scripts/install-deps.sh installs chromium and chromium-driver")
        }
        let folder = try ExternalTool.temporaryFolder()
        let log = folder.appendingPathComponent("chromedriver.log").path
        let driver: pid_t
        do {
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CONFIG_HOME"] = folder.appendingPathComponent("config").path
            driver = try spawnInOwnGroup("/usr/bin/chromedriver", ["--port=0"], environment: environment, output: log)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        let port: Int
        do {
            port = try waitForPort(driver, log: log)
        } catch {
            endGroup(driver)
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        let browser: CashierBrowser
        do {
            browser = try CashierBrowser(driver: driver, folder: folder, port: port)
            try browser.newSession(width: width, height: height, phone: phone)
        } catch {
            endGroup(driver)
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        return browser
    }

    private init(driver: pid_t, folder: URL, port: Int) throws {
        self.driver = driver
        self.folder = folder
        endpoint = "http://127.0.0.1:\(port)"
        client = try HTTPClient(connectTimeoutMilliseconds: 3000, totalTimeoutMilliseconds: 60_000, verifyTLS: false)
    }

    // MARK: Commands

    /// Loads `url` and returns once the document and its picture have loaded (WebDriver's normal page load).
    func open(_ url: String) throws {
        _ = try command("POST", "url", ["url": url])
    }

    /// Runs `script` (a function body; `return` gives the result) in the page and returns its JSON result.
    func run(_ script: String) throws -> Any? {
        let value = try command("POST", "execute/sync", ["script": script, "args": [Any]()])
        return value is NSNull ? nil : value
    }

    /// Polls `script` until it returns true; throws with what it last returned after `seconds`.
    func wait(_ what: String, seconds: TimeInterval, until script: String, every interval: TimeInterval = 0.05) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try run(script) as? Bool == true { return }
            guard Date() < deadline else {
                let state = try run("return document.body.getAttribute('data-state')")
                throw Failure("\(what): not within \(seconds) s (data-state \(String(describing: state)))")
            }
            usleep(useconds_t(interval * 1_000_000))
        }
    }

    /// The viewport as a PNG, at one device pixel per CSS pixel unless emulating a phone.
    func screenshot() throws -> [UInt8] {
        guard let text = try command("GET", "screenshot", nil) as? String, let data = Data(base64Encoded: text) else {
            throw Failure("the screenshot is not base64")
        }
        return Array(data)
    }

    /// Console entries logged since the last call (WebDriver's browser log: console messages, script
    /// errors, refused resources, policy violations).
    func consoleEntries() throws -> [LogEntry] {
        guard let entries = try command("POST", "se/log", ["type": "browser"]) as? [[String: Any]] else {
            throw Failure("the browser log is not a list")
        }
        return entries.map {
            LogEntry(
                level: $0["level"] as? String ?? "?", source: $0["source"] as? String ?? "?",
                message: $0["message"] as? String ?? "")
        }
    }

    // MARK: Session and processes

    private func newSession(width: Int, height: Int, phone: Bool) throws {
        let metrics: [String: Any] = [
            "width": width, "height": height, "pixelRatio": phone ? 2 : 1, "mobile": phone, "touch": phone,
        ]
        let options: [String: Any] = [
            "binary": "/usr/bin/chromium",
            // Running as root needs --no-sandbox.
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--hide-scrollbars", "--user-data-dir=" + folder.appendingPathComponent("profile").path,
            ],
            "mobileEmulation": ["deviceMetrics": metrics],
        ]
        let capabilities: [String: Any] = [
            "browserName": "chrome", "goog:chromeOptions": options, "goog:loggingPrefs": ["browser": "ALL"],
            "pageLoadStrategy": "normal",
        ]
        let value = try request("POST", "/session", ["capabilities": ["alwaysMatch": capabilities]])
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw Failure("chromedriver gave no session: \(String(describing: value))")
        }
        session = id
    }

    /// Asks chromedriver to shut down (it quits chromium first), then ends what is left of its process group
    /// and of chromium's helpers, and removes the folder.
    func quit() {
        session = nil
        _ = try? client.get(url: endpoint + "/shutdown", timeoutMilliseconds: 5000)
        CashierBrowser.endGroup(driver)
        CashierBrowser.endProcesses(mentioning: folder.path)
        try? FileManager.default.removeItem(at: folder)
    }

    /// The port chromedriver reports once it listens.
    private static func waitForPort(_ driver: pid_t, log: String) throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"started successfully on port (\d+)"#, options: .regularExpression),
               let port = Int(text[range].split(separator: " ").last ?? "")
            {
                return port
            }
            var status: Int32 = 0
            if waitpid(driver, &status, WNOHANG) == driver {
                throw Failure("chromedriver exited at start: \(text)")
            }
            usleep(20_000)
        }
        throw Failure("chromedriver did not say its port within 30 s")
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]?) throws -> Any {
        guard let session else { throw Failure("no browser session") }
        return try request(method, "/session/\(session)/\(path)", body)
    }

    /// One WebDriver call; its `value`, or the WebDriver error as a failure.
    private func request(_ method: String, _ path: String, _ body: [String: Any]?) throws -> Any {
        let reply: HTTPReply
        if method == "POST" {
            let bytes = try JSONSerialization.data(withJSONObject: body ?? [:])
            reply = try client.post(url: endpoint + path, contentType: "application/json; charset=utf-8", body: Array(bytes))
        } else {
            reply = try client.get(url: endpoint + path)
        }
        let object = try? JSONSerialization.jsonObject(with: Data(reply.body), options: [.fragmentsAllowed]) as? [String: Any]
        guard reply.status == 200, let object else {
            throw Failure("WebDriver \(method) \(path): HTTP \(reply.status) \(String(decoding: reply.body.prefix(500), as: UTF8.self))")
        }
        return object["value"] ?? NSNull()
    }

    /// Starts `executable` as the leader of a new process group, its output in `output`.
    private static func spawnInOwnGroup(
        _ executable: String, _ arguments: [String], environment: [String: String], output: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw Failure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// SIGTERM to the group led by `leader`, SIGKILL to what is left after 5 s; reaps the leader.
    private static func endGroup(_ leader: pid_t) {
        kill(-leader, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        while waitpid(leader, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(-leader, SIGKILL)
                _ = waitpid(leader, &status, 0)
                break
            }
            usleep(10_000)
        }
        // Helpers that outlived the leader belong to the same group.
        kill(-leader, SIGKILL)
    }

    /// Processes whose command line mentions `path` (only this browser's, since the folder is its own) get
    /// 5 s to end with their browser, then SIGKILL.
    private static func endProcesses(mentioning path: String) {
        func mentioning() -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { entry -> pid_t? in
                guard let pid = pid_t(entry), pid != getpid(),
                      let line = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                      String(decoding: line, as: UTF8.self).contains(path),
                      let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                      !status.contains("State:\tZ")
                else { return nil }
                return pid
            }
        }
        let deadline = Date().addingTimeInterval(5)
        while !mentioning().isEmpty, Date() < deadline { usleep(20_000) }
        for pid in mentioning() { kill(pid, SIGKILL) }
    }
}
