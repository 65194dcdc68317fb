import CurlClient
import Foundation
import TestSupport
import XCTest

/// Security review: "No secret in any log line or error." The secrets are the merchant private key, the
/// sandbox's Alipay private key, the callback HMAC secret and a database password.
/// Gateway faults are cleared before and after every test (`LifecycleTestCase`).
final class SecuritySecretLeakTests: LifecycleTestCase {
    /// Drives successes and failures through the stack (bad input, gateway faults, forged notifications, a
    /// payment with its signed callback), then reads every log file of the stack and every answer.
    func testNoSecretInAnyStackLogOrAnswer() async throws {
        let secrets = try SecurityStack.secrets()
        // The scanner can fail: a 32-character run of the key inside a log line is found.
        let sample = try XCTUnwrap(secrets.sampleWindow(of: "merchant private key"))
        XCTAssertEqual(secrets.findings(in: "2026-01-01T00:00:00.000Z problem: x\(sample)y"), ["merchant private key"])
        XCTAssertEqual(secrets.findings(in: "2026-01-01T00:00:00.000Z req=0123456789abcdef0123456789abcdef"), [])
        let logOffset = SecurityStack.fileSize(SecurityStack.responderLog)
        let accessOffset = SecurityStack.fileSize(SecurityStack.accessLog)
        var answers: [(String, HTTPReply)] = []

        // A payment: QR code, buyer pays, notification, callback signed with the HMAC secret.
        let database = try StackDatabase()
        let payment = try await LifecycleAPI.issue(LifecycleBill.next("SL", billtype: "1"), database)
        answers.append(("pay", try await StackSandbox.run { try $0.pay(payment.outTradeNo) }))
        let callback = try await LifecycleCallbacks.first(autoid: payment.autoid, billnum: payment.bill.billnum)
        XCTAssertNotNil(callback.signature, "the callback secret was in use")

        // Bad input of every kind the endpoints refuse.
        let scanCode = "/api/3Pay/AliPay/ScanCode"
        let refusals: [(String, String, String, String?, String)] = [
            ("malformed JSON", "POST", scanCode, "application/json", "{\"billnum\":"),
            ("invalid bill", "POST", scanCode, "application/json", "{\"billnum\":\"\",\"paymentvalue\":-1}"),
            ("unknown charset", "POST", scanCode, "application/json; charset=x-none", "{}"),
            ("DOCTYPE", "POST", scanCode, "application/xml", "<!DOCTYPE a [<!ENTITY x \"y\">]><AliScanCodeParm/>"),
            ("empty body", "POST", scanCode, "application/json", ""),
            ("unsupported type", "POST", scanCode, "image/png", "x"),
            ("too large", "POST", scanCode, "application/json", String(repeating: "a", count: 70_000)),
            ("wrong method", "GET", scanCode, nil, ""),
            ("unknown path", "GET", "/api/3Pay/AliPay/Nothing", nil, ""),
            ("unknown record", "POST", "/api/3Pay/AliPay/Query", "application/json", "{\"autoid\":\"999999999\"}"),
            ("unknown bill", "POST", "/api/3Pay/AliPay/Cancel", "application/json", "{\"billtype\":\"1\",\"billnum\":\"SLnone\"}"),
            ("health with gateway", "GET", "/api/3Pay/health?gateway=1", nil, ""),
        ]
        for (name, method, path, type, body) in refusals {
            let answer = method == "GET"
                ? try await HTTP.get(path) : try await HTTP.post(path, Array(body.utf8), contentType: type)
            answers.append((name, answer))
        }

        // Gateway faults: unverifiable, unsigned, failing and broken answers.
        for mode in ["bad_signature", "no_signature", "http502", "reset"] {
            try await StackSandbox.run { try $0.setFaults(["mode": mode]) }
            let answer = try await HTTP.postJSON(scanCode, LifecycleBill.next("SF").json)
            try await StackSandbox.run { try $0.resetFaults() }
            XCTAssertTrue((3001...3004).contains(try LifecycleEnvelope(answer).errcode), "\(mode): \(answer.text)")
            answers.append((mode, answer))
        }

        // Forged notifications: garbage and foreign signatures, broken forms, an unknown trade.
        let booked = try await StackSandbox.run { try $0.trade(payment.outTradeNo) }
        let trade = try XCTUnwrap(booked)
        let genuine = try LifecycleNotification.fields(paid: trade)
        var stranger = genuine
        stranger["out_trade_no"] = "TP9" + payment.outTradeNo
        let forgeries: [(String, [UInt8])] = [
            ("garbage signature", try LifecycleNotification.form(genuine, key: nil, sign: "Zm9yZ2Vk")),
            ("signed with the merchant key", try LifecycleNotification.form(genuine, key: LifecycleNotification.wrongKey())),
            ("unknown trade", try LifecycleNotification.form(stranger, key: LifecycleNotification.alipayKey())),
            ("malformed form", Array("sign=%zz&app_id".utf8)),
            ("empty form", []),
        ]
        for (name, form) in forgeries {
            let answer = try await LifecycleAPI.notify(form)
            XCTAssertNotEqual(answer.text, "success", name)
            answers.append((name, answer))
        }
        answers.append(("sink", try await HTTP.get("/sandbox/sink")))

        // nginx writes its access log every second: wait for this test's last request to be in it.
        let marker = "secmark" + UUID().uuidString.prefix(8)
        _ = try await HTTP.get("/api/3Pay/health?\(marker)")
        try await Background.run { try SecurityStack.waitForAccessLog(containing: marker, after: accessOffset) }

        // The failures were logged, so the scan below reads lines that talk about them.
        let responderLines = String(decoding: try SecurityStack.bytes(of: SecurityStack.responderLog, after: logOffset), as: UTF8.self)
        XCTAssertTrue(responderLines.contains("notify refused"), responderLines.suffix(2000).description)

        let files = SecurityStack.logFiles()
        for name in ["threepay.log", "sandbox.log", "nginx-error.log", "nginx-access.log"] {
            XCTAssertTrue(files.contains(SecurityStack.logsFolder + "/" + name), "\(name) is among \(files)")
        }
        for file in files {
            let found = secrets.findings(in: try Data(contentsOf: URL(fileURLWithPath: file)))
            XCTAssertTrue(found.isEmpty, "\(file) contains the \(found.sorted())")
        }
        for (name, answer) in answers {
            let headers = answer.headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
            let found = secrets.findings(in: Data(headers.utf8) + answer.data)
            XCTAssertTrue(found.isEmpty, "the answer to \(name) contains the \(found.sorted())")
        }
    }

    /// `threepay --check-config`, `threepay sweep` and `threepay-sandbox` with settings that hold a known
    /// password, secret or key, broken in every way the key and settings readers refuse: the output names the
    /// setting (or the line) and never holds the secret.
    func testBrokenSettingsNameTheSettingButNeverTheSecret() throws {
        let folder = try TemporaryFolder("sec-config")
        defer { folder.remove() }
        let keys = TestStack.stateDir + "/keys"
        let keyText = try String(contentsOfFile: keys + "/app_private.pem", encoding: .utf8)
        let sandboxKeyText = try String(contentsOfFile: keys + "/sandbox_alipay_private.pem", encoding: .utf8)
        let password = "Sec-Pw!d7Qx2Lk9Zt4Vb-not-real"
        let pastedPassword = "sEcPw0rdK7x2Lq9Zt4Vb3Nm8Rw=="
        let callbackSecret = "cb-secret-4f9a1c7e2b8d6053a1e9"
        let urlPassword = "gw-Pw-8c1d5e9f7a3b6d20"
        var secrets = SecuritySecrets()
        try secrets.addPrivateKey("merchant private key", pem: keyText)
        try secrets.addPrivateKey("sandbox Alipay private key", pem: sandboxKeyText)
        secrets.addText("password", password)
        secrets.addText("pasted password", pastedPassword.trimmingCharacters(in: ["="]))
        secrets.addText("callback secret", callbackSecret)
        secrets.addText("short callback secret", "short-secret")
        secrets.addText("password in a URL", urlPassword)

        let keyLines = keyText.split(separator: "\n").map(String.init)
        // A key pasted into the settings file is read line by line: no line of it may come back either.
        for line in keyLines where !line.hasPrefix("-----") && line.count >= 16 {
            secrets.addText("merchant private key line", line.trimmingCharacters(in: ["="]))
        }
        let key = try folder.write("app_private.pem", keyText)
        let noEnd = try folder.write("no-end.pem", keyLines.dropLast().joined(separator: "\n") + "\n")
        var corruptedLines = keyLines
        corruptedLines[3] = String(repeating: "A", count: corruptedLines[3].count)
        let corrupted = try folder.write("corrupted.pem", corruptedLines.joined(separator: "\n") + "\n")
        let encrypted = try folder.write(
            "encrypted.pem", ([keyLines[0], "Proc-Type: 4,ENCRYPTED"] + keyLines.dropFirst()).joined(separator: "\n") + "\n")
        let worldReadable = try folder.write("world-readable.pem", keyText, mode: 0o644)
        let groupReadable = try folder.write("group-readable.pem", keyText, mode: 0o640)
        let looseSecret = try folder.write("callback_secret", callbackSecret + "\n", mode: 0o644)
        let sandboxLoose = try folder.write("sandbox-loose.pem", sandboxKeyText, mode: 0o644)
        let sandboxLines = sandboxKeyText.split(separator: "\n").map(String.init)
        let sandboxNoEnd = try folder.write("sandbox-no-end.pem", sandboxLines.dropLast().joined(separator: "\n") + "\n")

        // Everything usable except the database: nothing listens on that port.
        let base: [String: String] = [
            "PATH": TestStack.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory(),
            "THREEPAY_LISTEN": folder.path + "/threepay.sock",
            "THREEPAY_ALIPAY_GATEWAY": TestStack.baseURL + "/gateway.do", "THREEPAY_ALIPAY_APP_ID": "2021000000000001",
            "THREEPAY_ALIPAY_APP_PRIVATE_KEY": key, "THREEPAY_ALIPAY_PUBLIC_KEY": keys + "/sandbox_alipay_public.pem",
            "THREEPAY_DB_HOST": "127.0.0.1", "THREEPAY_DB_PORT": String(try SecurityNginx.freePort()),
            "THREEPAY_DB_TIMEOUT": "2", "THREEPAY_DB_USER": "threepay", "THREEPAY_DB_PASSWORD": password,
        ]
        let inlineBroken = SecuritySecrets.base64Body(keyText).replacingOccurrences(of: "A", with: "!")
        let pastedFile = """
            THREEPAY_DB_PASSWORD=
            \(pastedPassword)
            THREEPAY_ALIPAY_APP_PRIVATE_KEY="\(keyText.trimmingCharacters(in: .newlines))"
            """
        let callbackURL: [String: String?] = ["THREEPAY_CALLBACK_URL_1": TestStack.baseURL + "/sandbox/sink"]

        struct Case {
            let name: String
            var binary = "threepay"
            var arguments = ["--check-config"]
            var changes: [String: String?] = [:]
            var file: String?
            let mentions: [String]
        }
        var cases: [Case] = [
            Case(name: "password, database refuses", mentions: ["database: NOT reachable"]),
            Case(name: "password, sweep", arguments: ["sweep"], mentions: ["sweep failed"]),
            Case(name: "password in the settings file", changes: ["THREEPAY_DB_PASSWORD": nil],
                 file: "THREEPAY_DB_PASSWORD=\(password)\n", mentions: ["database: NOT reachable"]),
            Case(name: "password line without =", changes: ["THREEPAY_DB_PASSWORD": nil],
                 file: "THREEPAY_DB_PASSWORD \(password)\n", mentions: ["line 1 of the settings file"]),
            Case(name: "password pasted on the line after its name", changes: ["THREEPAY_DB_PASSWORD": nil],
                 file: "THREEPAY_DB_PASSWORD=\n\(pastedPassword)\n", mentions: ["line 2 of the settings file"]),
            Case(name: "password and key pasted over several lines", changes: ["THREEPAY_DB_PASSWORD": nil],
                 file: pastedFile, mentions: ["line 2 of the settings file"]),
            Case(name: "key file without END line", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": noEnd],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY"]),
            Case(name: "key file with corrupted bytes", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": corrupted],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY"]),
            Case(name: "encrypted key file", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": encrypted],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY", "encrypted"]),
            Case(name: "malformed key text in the setting", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": inlineBroken],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY"]),
            Case(name: "private key where Alipay's public key belongs", changes: ["THREEPAY_ALIPAY_PUBLIC_KEY": key],
                 mentions: ["THREEPAY_ALIPAY_PUBLIC_KEY"]),
            Case(name: "key file mode 644", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": worldReadable],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY", "chmod 600"]),
            Case(name: "key file mode 640", changes: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY": groupReadable],
                 mentions: ["THREEPAY_ALIPAY_APP_PRIVATE_KEY", "chmod 600"]),
            Case(name: "callback secret too short", changes: callbackURL.merging(["THREEPAY_CALLBACK_SECRET": "short-secret"]) { $1 },
                 mentions: ["THREEPAY_CALLBACK_SECRET"]),
            Case(name: "callback secret file mode 644", changes: callbackURL.merging(["THREEPAY_CALLBACK_SECRET": looseSecret]) { $1 },
                 mentions: ["THREEPAY_CALLBACK_SECRET", "chmod 600"]),
            Case(name: "credentials in the gateway URL",
                 changes: ["THREEPAY_ALIPAY_GATEWAY": "http://merchant:\(urlPassword)@127.0.0.1:1/gateway.do"],
                 mentions: ["gateway: http://***@127.0.0.1:1/gateway.do"]),
            Case(name: "credentials in a malformed callback URL",
                 changes: ["THREEPAY_CALLBACK_URL_2": "ftp://merchant:\(urlPassword)@example.com/cb"],
                 mentions: ["THREEPAY_CALLBACK_URL_2", "ftp://***@example.com/cb"]),
            Case(name: "callback secret value, database refuses",
                 changes: callbackURL.merging(["THREEPAY_CALLBACK_SECRET": callbackSecret]) { $1 },
                 mentions: ["database: NOT reachable"]),
        ]
        // The stack's own MariaDB refuses an account that does not exist, after seeing the password.
        let socket = TestStack.environment["THREEPAY_TEST_DB_SOCKET"] ?? TestStack.stateDir + "/mariadb.sock"
        if FileManager.default.fileExists(atPath: socket) {
            cases.append(Case(
                name: "password, unknown account on the stack's database",
                changes: ["THREEPAY_DB_HOST": nil, "THREEPAY_DB_SOCKET": socket, "THREEPAY_DB_USER": "threepay_sec_nobody"],
                mentions: ["database: NOT reachable"]))
        }
        // The sandbox reads its Alipay private key the same way; only broken keys here (a good one would serve).
        let sandboxBase: [String: String?] = [
            "THREEPAY_SANDBOX_LISTEN": folder.path + "/sandbox.sock", "THREEPAY_SANDBOX_APP_ID": "2021000000000001",
            "THREEPAY_SANDBOX_APP_PUBLIC_KEY": keys + "/app_public.pem",
        ]
        for (name, path) in [("sandbox key file mode 644", sandboxLoose), ("sandbox key file without END line", sandboxNoEnd)] {
            cases.append(Case(
                name: name, binary: "threepay-sandbox", arguments: [],
                changes: sandboxBase.merging(["THREEPAY_SANDBOX_PRIVATE_KEY": path]) { $1 },
                mentions: ["THREEPAY_SANDBOX_PRIVATE_KEY"]))
        }

        for check in cases {
            var environment = base
            for (name, value) in check.changes { environment[name] = value }
            var arguments = check.arguments
            if let file = check.file {
                arguments += ["--config", try folder.write("settings.env", file)]
            }
            let outcome = try TestCommand.run(TestStack.binDir + "/" + check.binary, arguments, environment)
            XCTAssertNotEqual(outcome.status, 0, "\(check.name): \(outcome.output)")
            for mention in check.mentions {
                XCTAssertTrue(outcome.output.contains(mention), "\(check.name) does not say \(mention): \(outcome.output)")
            }
            let found = secrets.findings(in: outcome.output)
            XCTAssertTrue(found.isEmpty, "\(check.name) printed the \(found.sorted()): \(outcome.output)")
        }
    }

    /// `scripts/stack.sh env` shows which settings the responder gets, with secrets masked.
    func testStackEnvMasksSecrets() throws {
        let folder = try TemporaryFolder("sec-env")
        defer { folder.remove() }
        let secret = "cb-secret-4f9a1c7e2b8d6053a1e9"
        let password = "Sec-Pw!d7Qx2Lk9Zt4Vb-not-real"
        let environment = [
            "PATH": TestStack.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSHomeDirectory(),
            "THREEPAY_STATE_DIR": folder.path, "THREEPAY_CALLBACK_SECRET": secret, "THREEPAY_DB_PASSWORD": password,
            "THREEPAY_DB_SOCKET": folder.path + "/mariadb.sock",
        ]
        let outcome = try TestCommand.run(
            "/bin/bash", [TestStack.packageRoot.appendingPathComponent("scripts/stack.sh").path, "env"], environment)
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.output.contains("THREEPAY_CALLBACK_SECRET=(set, not shown)"), outcome.output)
        XCTAssertTrue(outcome.output.contains("THREEPAY_DB_PASSWORD=(set, not shown)"), outcome.output)
        XCTAssertFalse(outcome.output.contains(secret), outcome.output)
        XCTAssertFalse(outcome.output.contains(password), outcome.output)
    }
}
