import CurlClient
import Foundation
import RSASigning
import TestSupport
import XCTest

/// Secret texts that must never appear in a log line, an error or an answer, and a scanner that finds them.
///
/// A private key counts as leaked when its whole base64 body or any 32-character run of it shows up; runs that
/// also occur in the matching public key (the modulus is public) are left out. Other secrets (the callback HMAC
/// secret, a password) count when they appear whole, and long ones also by any 32-character run.
struct SecuritySecrets {
    static let window = 32

    private(set) var whole: [(name: String, text: String)] = []
    private(set) var windows: [String: String] = [:]

    /// Adds an RSA private key given as PEM or bare base64.
    mutating func addPrivateKey(_ name: String, pem: String) throws {
        let body = SecuritySecrets.base64Body(pem)
        let publicBody = try RSAPrivateKey(text: pem).publicKey.spkiBase64
        whole.append((name, body))
        addWindows(name, body, except: publicBody)
    }

    /// Adds a password or shared secret.
    mutating func addText(_ name: String, _ text: String) {
        guard !text.isEmpty else { return }
        whole.append((name, text))
        addWindows(name, text, except: "")
    }

    private mutating func addWindows(_ name: String, _ text: String, except: String) {
        let characters = Array(text)
        guard characters.count >= Self.window else { return }
        for start in 0...(characters.count - Self.window) {
            let chunk = String(characters[start..<(start + Self.window)])
            if !except.contains(chunk) { windows[chunk] = name }
        }
    }

    /// The names of the secrets found in `data` (empty when none is there).
    func findings(in data: Data) -> Set<String> {
        var found: Set<String> = []
        for (name, secret) in whole where data.range(of: Data(secret.utf8)) != nil { found.insert(name) }
        guard !windows.isEmpty else { return found }
        // Only runs of base64/hex characters at least one window long can hold a window of a key or secret.
        let table = SecuritySecrets.secretCharacters
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var runStart = 0
            for index in 0...bytes.count {
                if index < bytes.count, table[Int(bytes[index])] { continue }
                if index - runStart >= Self.window {
                    for start in runStart...(index - Self.window) {
                        let chunk = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + Self.window)]), as: UTF8.self)
                        if let name = windows[chunk] { found.insert(name) }
                    }
                }
                runStart = index + 1
            }
        }
        return found
    }

    func findings(in text: String) -> Set<String> { findings(in: Data(text.utf8)) }

    /// Any window of the secret called `name` (for a self-check that the scanner can fail).
    func sampleWindow(of name: String) -> String? {
        windows.first { $0.value == name }?.key
    }

    /// The base64 of a PEM text (armour and whitespace removed), or the bare base64 itself.
    static func base64Body(_ pem: String) -> String {
        pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
            .filter { !$0.isWhitespace }
    }

    /// Base64 (with its URL-safe variant) and hex characters, indexed by byte.
    private static let secretCharacters: [Bool] = (0...255).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"),
             UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}

/// An nginx of the test's own: its own prefix, configuration, temporary folders and loopback port, serving
/// `locations` inside one `server` block. Started as a daemon with a pid file; `stop()` ends it.
final class SecurityNginx {
    let folder: TemporaryFolder
    let port: Int
    private var running = false

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(locations: String) throws {
        folder = try TemporaryFolder("sec-nginx")
        do {
            // The shipped snippet includes `fastcgi_params` relative to the configuration's folder.
            try FileManager.default.copyItem(atPath: "/etc/nginx/fastcgi_params", toPath: folder.path + "/fastcgi_params")
            var attempt = 1
            while true {
                // The free port may be taken before nginx binds it: then another one is tried.
                let candidate = try SecurityNginx.freePort()
                try folder.write("nginx.conf", SecurityNginx.configuration(prefix: folder.path, port: candidate, locations: locations))
                // nginx returns once its master is daemonized, with the port already bound.
                let outcome = try TestCommand.run(
                    "/usr/bin/env", ["nginx", "-p", folder.path, "-c", folder.path + "/nginx.conf", "-e", folder.path + "/error.log"],
                    TestStack.environment)
                if outcome.status == 0 {
                    port = candidate
                    break
                }
                guard outcome.output.contains("Address already in use"), attempt < 3 else {
                    throw TestFailure("nginx did not start: \(outcome.output)")
                }
                attempt += 1
            }
            running = true
        } catch {
            folder.remove()
            throw error
        }
    }

    private static func configuration(prefix: String, port: Int, locations: String) -> String {
        // Workers started as root drop to `nobody` and could not reach the stack's sockets.
        let user = getuid() == 0 ? "user root;" : ""
        return """
            \(user)
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log \(prefix)/access.log;
                client_body_temp_path \(prefix)/body;
                fastcgi_temp_path \(prefix)/fastcgi;
                proxy_temp_path \(prefix)/proxy;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
                include \(TestStack.packageRoot.path)/nginx/threepay-http.conf;
                server {
                    listen 127.0.0.1:\(port);
                    server_name localhost;
            \(locations)
                    location / { return 404; }
                }
            }
            """
    }

    deinit { stop() }

    /// Stops nginx (fast shutdown), waits until its master is gone, removes the folder.
    func stop() {
        guard running else { return }
        running = false
        let pidText = (try? String(contentsOfFile: folder.path + "/nginx.pid", encoding: .utf8)) ?? ""
        if let pid = pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 {
            kill(pid, SIGTERM)
            // Gone, or a zombie its new parent (init) has not reaped yet.
            try? Poll.until("nginx \(pid) stopped", seconds: 30, every: 0.02) {
                kill(pid, 0) != 0
                    || ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "").contains("State:\tZ")
            }
        }
        folder.remove()
    }

    /// A loopback port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The stack's processes and files as the security tests need them.
enum SecurityStack {
    static var logsFolder: String { TestStack.stateDir + "/logs" }
    static var responderLog: String { logsFolder + "/threepay.log" }
    static var accessLog: String { logsFolder + "/nginx-access.log" }
    /// The unix socket the stack's nginx hands ThreePay's requests to (scripts/stack.sh render_nginx).
    static var responderSocket: String { TestStack.stateDir + "/threepay.sock" }

    /// The environment the running process of `pidFile` was started with, nil when it is not running.
    static func environment(pidFile: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, kill(pid, 0) == 0
        else { return nil }
        return try? FaultStack.launch(of: pid).environment
    }

    /// A key or secret setting's text: the file it names, or the value itself (as KeySource reads it).
    static func settingText(_ value: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: value, isDirectory: &isDirectory), !isDirectory.boolValue,
           let text = try? String(contentsOfFile: value, encoding: .utf8) {
            return text
        }
        return value
    }

    /// The secrets of the running stack, read from the settings its responder and sandbox were started with.
    static func secrets() throws -> SecuritySecrets {
        let responder = try XCTUnwrap(environment(pidFile: TestStack.stateDir + "/threepay.pid"), "the stack's responder is not running")
        var secrets = SecuritySecrets()
        let merchantKey = try XCTUnwrap(responder["THREEPAY_ALIPAY_APP_PRIVATE_KEY"])
        try secrets.addPrivateKey("merchant private key", pem: settingText(merchantKey))
        if let callback = responder["THREEPAY_CALLBACK_SECRET"], !callback.isEmpty {
            secrets.addText("callback secret", settingText(callback).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let password = responder["THREEPAY_DB_PASSWORD"], !password.isEmpty {
            secrets.addText("database password", password)
        }
        if let sandbox = environment(pidFile: TestStack.stateDir + "/sandbox.pid"),
           let key = sandbox["THREEPAY_SANDBOX_PRIVATE_KEY"] {
            try secrets.addPrivateKey("sandbox Alipay private key", pem: settingText(key))
        }
        return secrets
    }

    /// Every log file of the stack: `<state>/logs/*` and `<state>/*.log` (MariaDB's).
    static func logFiles() -> [String] {
        var files: [String] = []
        for folder in [logsFolder, TestStack.stateDir] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names.sorted() where folder == logsFolder || name.hasSuffix(".log") {
                var isDirectory: ObjCBool = false
                let path = folder + "/" + name
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append(path)
                }
            }
        }
        return files
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The bytes appended to `path` after `offset`.
    static func bytes(of path: String, after offset: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.readToEnd() ?? Data()
    }

    /// Waits until nginx's buffered access log (flushed every second) holds `marker`.
    static func waitForAccessLog(containing marker: String, after offset: Int) throws {
        try Poll.until("nginx access log line with \(marker)", seconds: 30, every: 0.1) {
            String(decoding: try bytes(of: accessLog, after: offset), as: UTF8.self).contains(marker)
        }
    }
}
