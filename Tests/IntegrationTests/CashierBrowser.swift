import CurlClient
import Foundation
import TestSupport

/// A headless Debian chromium driven over WebDriver (with ThreePay's curl client: chromedriver's header
/// lines have no space after the colon, which Foundation's URLSession refuses). `chromedriver` is started for
/// one test on a port the kernel picks, in a process group of its own that chromium joins, with a private
/// folder for the profile and chromium's configuration; `quit()` ends the group, then any helper that left it
/// (chromium's crash handler starts a session of its own), found by the folder in its command line, and
/// removes the folder.
final class CashierBrowser {
    /// One entry of the browser's console log.
    struct LogEntry: CustomStringConvertible {
        let level: String
        let source: String
        let message: String
        var description: String { "\(level) \(source): \(message)" }
    }

    private let driver: pid_t
    private let folder: TemporaryFolder
    private let endpoint: String
    private var session: String?
    private let client: HTTPClient

    /// Starts chromedriver and a browser session (one tab) with a `width` × `height` CSS-pixel viewport; a
    /// phone has a device pixel ratio of 2, touch and the mobile layout viewport.
    static func start(width: Int = 800, height: Int = 600, phone: Bool = false) throws -> CashierBrowser {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw TestFailure("\(tool) is missing; scripts/install-deps.sh installs chromium and chromium-driver")
        }
        let folder = try TemporaryFolder("browser")
        let log = folder.url.appendingPathComponent("chromedriver.log").path
        var environment = TestStack.environment
        environment["XDG_CONFIG_HOME"] = folder.url.appendingPathComponent("config").path
        let driver: pid_t
        do {
            driver = try TestCommand.spawn("/usr/bin/chromedriver", ["--port=0"], environment, output: log, ownGroup: true)
        } catch {
            folder.remove()
            throw error
        }
        do {
            let port = try waitForPort(driver, log: log)
            let browser = try CashierBrowser(driver: driver, folder: folder, port: port)
            try browser.newSession(width: width, height: height, phone: phone)
            return browser
        } catch {
            endGroup(driver)
            folder.remove()
            throw error
        }
    }

    private init(driver: pid_t, folder: TemporaryFolder, port: Int) throws {
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

    /// Polls `script` until it returns true; fails naming `what` and the page's state after `seconds`.
    func wait(_ what: String, seconds: Double, until script: String) throws {
        do {
            try Poll.until(what, seconds: seconds) { try run(script) as? Bool == true }
        } catch let failure as TestFailure {
            let state = try? run("return document.body.getAttribute('data-state')")
            throw TestFailure("\(failure) (data-state \(String(describing: state)))")
        }
    }

    /// The viewport as a PNG, one pixel per device pixel.
    func screenshot() throws -> [UInt8] {
        guard let text = try command("GET", "screenshot", nil) as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("the screenshot is not base64")
        }
        return Array(data)
    }

    /// Console entries logged since the last call (WebDriver's browser log: console messages, script
    /// errors, refused resources, policy violations).
    func consoleEntries() throws -> [LogEntry] {
        guard let entries = try command("POST", "se/log", ["type": "browser"]) as? [[String: Any]] else {
            throw TestFailure("the browser log is not a list")
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
                "--hide-scrollbars", "--user-data-dir=" + folder.url.appendingPathComponent("profile").path,
            ],
            "mobileEmulation": ["deviceMetrics": metrics],
        ]
        let capabilities: [String: Any] = [
            "browserName": "chrome", "goog:chromeOptions": options, "goog:loggingPrefs": ["browser": "ALL"],
            "pageLoadStrategy": "normal",
        ]
        let value = try request("POST", "/session", ["capabilities": ["alwaysMatch": capabilities]])
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw TestFailure("chromedriver gave no session: \(String(describing: value))")
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
        folder.remove()
    }

    /// The port chromedriver reports once it listens.
    private static func waitForPort(_ driver: pid_t, log: String) throws -> Int {
        try Poll.value("chromedriver's port", seconds: 30, every: 0.02) { () throws -> Int? in
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"started successfully on port \d+"#, options: .regularExpression) {
                return Int(text[range].split(separator: " ").last ?? "")
            }
            var status: Int32 = 0
            if waitpid(driver, &status, WNOHANG) == driver { throw TestFailure("chromedriver exited at start: \(text)") }
            return nil
        }
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]?) throws -> Any {
        guard let session else { throw TestFailure("no browser session") }
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
            throw TestFailure("WebDriver \(method) \(path): HTTP \(reply.status) \(String(decoding: reply.body.prefix(500), as: UTF8.self))")
        }
        return object["value"] ?? NSNull()
    }

    /// SIGTERM to the group led by `leader`, SIGKILL to what is left after 5 s; reaps the leader.
    private static func endGroup(_ leader: pid_t) {
        kill(-leader, SIGTERM)
        var status: Int32 = 0
        let reaped = { waitpid(leader, &status, WNOHANG) != 0 }
        if (try? Poll.until("chromedriver ended", seconds: 5, every: 0.01, reaped)) == nil {
            kill(-leader, SIGKILL)
            _ = waitpid(leader, &status, 0)
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
        if (try? Poll.until("chromium's helpers ended", seconds: 5) { mentioning().isEmpty }) == nil {
            for pid in mentioning() { kill(pid, SIGKILL) }
        }
    }
}
