import Alipay
import Foundation
import SandboxGateway
import TestSupport
import XCTest

/// The built `threepay-sandbox` binary on its own socket, spoken to with libfcgi's `cgi-fcgi`: settings,
/// the control switch, and trades surviving SIGTERM and a restart.
final class SandboxProcessTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var keys: SandboxTestKeys.Pair!

    override func setUpWithError() throws {
        keys = try SandboxTestKeys.pair()
        folder = try TemporaryFolder("sandbox-proc")
        try folder.write("alipay_private.pem", keys.alipayPEM)
    }

    override func tearDownWithError() throws {
        folder?.remove()
    }

    func testMissingSettingStopsTheStartNamingIt() throws {
        var environment = settings(control: true)
        environment["THREEPAY_SANDBOX_APP_ID"] = nil
        let failed = try SandboxProcess.runToExit(environment: environment)
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("THREEPAY_SANDBOX_APP_ID"), failed.stderr)

        environment = settings(control: true)
        environment["THREEPAY_SANDBOX_APP_PUBLIC_KEY"] = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAbroken"
        let badKey = try SandboxProcess.runToExit(environment: environment)
        XCTAssertEqual(badKey.status, 1)
        XCTAssertTrue(badKey.stderr.contains("THREEPAY_SANDBOX_APP_PUBLIC_KEY"), badKey.stderr)
        XCTAssertFalse(badKey.stderr.contains("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAbroken"), "key text echoed")
    }

    func testControlActionsAre404UnlessEnabled() throws {
        let sandbox = try SandboxProcess.start(environment: settings(control: false), socket: socketPath)
        defer { sandbox.stop() }
        XCTAssertEqual(try sandbox.request("GET", "/sandbox/trades").status, 404)
        XCTAssertEqual(try sandbox.request("POST", "/sandbox/pay", body: "out_trade_no=X").status, 404)
        let gateway = try sandbox.request("POST", "/gateway.do", body: "")
        XCTAssertEqual(gateway.status, 200)
        XCTAssertTrue(gateway.text.contains("isv.missing-app-id"), gateway.text)
    }

    func testTradesSurviveSIGTERMAndARestart() throws {
        let environment = settings(control: true)
        var sandbox = try SandboxProcess.start(environment: environment, socket: socketPath)
        let precreate = try gatewayCall(sandbox, "alipay.trade.precreate",
                                        #"{"out_trade_no":"P1","total_amount":"9.99","subject":"持久"}"#)
        XCTAssertEqual(precreate.code, "10000")
        XCTAssertTrue(precreate.signatureValid)
        XCTAssertEqual(try sandbox.request("POST", "/sandbox/pay", body: "out_trade_no=P1&notify=0").status, 200)
        // Stopped right after the payment: a change the timed writer has not saved yet is flushed at shutdown.
        XCTAssertEqual(sandbox.stop(), 0)
        let saved = try String(contentsOf: folder.url.appendingPathComponent("state.json"), encoding: .utf8)
        XCTAssertTrue(saved.contains("\"out_trade_no\":\"P1\""), saved)

        sandbox = try SandboxProcess.start(environment: environment, socket: socketPath)
        defer { sandbox.stop() }
        let query = try gatewayCall(sandbox, "alipay.trade.query", #"{"out_trade_no":"P1"}"#)
        XCTAssertEqual(query["trade_status"], "TRADE_SUCCESS")
        XCTAssertEqual(query["total_amount"], "9.99")
        XCTAssertEqual(try gatewayCall(sandbox, "alipay.trade.precreate",
                                       #"{"out_trade_no":"P1","total_amount":"9.99","subject":"持久"}"#).subCode,
                       "ACQ.TRADE_HAS_SUCCESS")
    }

    // MARK: Helpers

    private var socketPath: String { folder.url.appendingPathComponent("s.sock").path }

    private func settings(control: Bool) -> [String: String] {
        [
            "THREEPAY_SANDBOX_LISTEN": socketPath,
            "THREEPAY_SANDBOX_APP_ID": SandboxHarness.appID,
            "THREEPAY_SANDBOX_APP_PUBLIC_KEY": keys.merchant.publicKey.spkiBase64,
            "THREEPAY_SANDBOX_PRIVATE_KEY": folder.url.appendingPathComponent("alipay_private.pem").path,
            "THREEPAY_SANDBOX_CONTROL": control ? "1" : "0",
            "THREEPAY_SANDBOX_STATE": folder.url.appendingPathComponent("state.json").path,
            "THREEPAY_SANDBOX_WORKERS": "4",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
    }


    private func gatewayCall(_ sandbox: SandboxProcess, _ method: String, _ biz: String) throws -> SandboxAnswer {
        let harness = try SandboxHarness()
        let params = try harness.signedParams(method, biz)
        let reply = try sandbox.request("POST", "/gateway.do",
                                        body: FormDecoding.encode(params.map { ($0.key, $0.value) }))
        XCTAssertEqual(reply.status, 200)
        return try SandboxAnswer(reply.body, method: method, alipayPublicKey: keys.alipay.publicKey)
    }
}

/// A running `threepay-sandbox` child process.
final class SandboxProcess {
    struct Exit {
        let status: Int32
        let stderr: String
    }

    struct Reply {
        let status: Int
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private let process: Process
    private let socket: String

    private init(process: Process, socket: String) {
        self.process = process
        self.socket = socket
    }

    static var binary: URL {
        URL(fileURLWithPath: TestStack.binDir).appendingPathComponent("threepay-sandbox")
    }

    /// Runs the binary expecting it to exit by itself (a start that fails).
    static func runToExit(environment: [String: String]) throws -> Exit {
        let process = try makeProcess(environment: environment)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Exit(status: process.terminationStatus, stderr: text)
    }

    /// Starts the binary and waits until its socket exists.
    static func start(environment: [String: String], socket: String) throws -> SandboxProcess {
        let process = try makeProcess(environment: environment)
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            try Poll.until("the sandbox listening on \(socket)", seconds: 30) {
                guard process.isRunning else { throw TestFailure("the sandbox exited before opening \(socket)") }
                return FileManager.default.fileExists(atPath: socket)
            }
        } catch {
            if process.isRunning { process.terminate() }
            throw error
        }
        return SandboxProcess(process: process, socket: socket)
    }

    private static func makeProcess(environment: [String: String]) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestFailure("\(binary.path) is missing: build the threepay-sandbox product "
                                              + "or set THREEPAY_TEST_BIN_DIR")
        }
        let process = Process()
        process.executableURL = binary
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        return process
    }

    /// Sends one FastCGI request with `cgi-fcgi` and parses the CGI answer.
    func request(_ method: String, _ path: String, query: String = "", body: String = "") throws -> Reply {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["cgi-fcgi", "-bind", "-connect", socket]
        client.environment = [
            "REQUEST_METHOD": method, "DOCUMENT_URI": path, "SCRIPT_NAME": path, "QUERY_STRING": query,
            "REQUEST_URI": query.isEmpty ? path : "\(path)?\(query)",
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": String(body.utf8.count),
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        let input = Pipe()
        let output = Pipe()
        client.standardInput = input
        client.standardOutput = output
        try client.run()
        input.fileHandleForWriting.write(Data(body.utf8))
        try input.fileHandleForWriting.close()
        let raw = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        client.waitUntilExit()
        return try Self.parse(raw)
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func parse(_ raw: [UInt8]) throws -> Reply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...(max(0, raw.count - 4))).first(where: { raw.count >= $0 + 4 && Array(raw[$0..<$0 + 4]) == separator })
        else { throw TestFailure("no CGI header in the answer") }
        let head = String(decoding: raw[..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first { $0.hasPrefix("Status:") }
        let status = statusLine.flatMap { Int($0.dropFirst("Status:".count).trimmingCharacters(in: .whitespaces).prefix(3)) }
        return Reply(status: status ?? 200, body: Array(raw[(end + 4)...]))
    }
}
