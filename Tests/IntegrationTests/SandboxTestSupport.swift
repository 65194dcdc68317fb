import Alipay
import CivilTime
import Foundation
import JSON
import RSASigning
import SandboxGateway
import Synchronization
import TestSupport
import XCTest

/// Key pairs for the sandbox tests, generated once per test run with the openssl command line tool.
enum SandboxTestKeys {
    struct Pair: Sendable {
        /// The merchant's (app's) key: signs requests; the sandbox verifies with its public half.
        let merchant: RSAPrivateKey
        /// The sandbox's stand-in Alipay key: signs answers and notifications.
        let alipay: RSAPrivateKey
        let merchantPEM: String
        let alipayPEM: String
    }

    static let generated: Result<Pair, TestFailure> = {
        do {
            let merchantPEM = try generatePEM()
            let alipayPEM = try generatePEM()
            return .success(Pair(merchant: try RSAPrivateKey(text: merchantPEM), alipay: try RSAPrivateKey(text: alipayPEM),
                                 merchantPEM: merchantPEM, alipayPEM: alipayPEM))
        } catch let failure as TestFailure {
            return .failure(failure)
        } catch {
            return .failure(TestFailure("generated key not accepted: \(error)"))
        }
    }()

    static func pair() throws -> Pair {
        try generated.get()
    }

    /// A fresh 2048-bit RSA private key as PKCS#8 PEM, from `openssl genpkey`.
    static func generatePEM() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pem = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl genpkey failed") }
        return String(decoding: pem, as: UTF8.self)
    }
}

/// A settable clock shared with the code under test.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = CivilTimeText.china.parse("2024-06-01 12:00:00")!) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var function: @Sendable () -> Date { { [self] in self.now } }
}

/// One sandbox core wired as in production, minus FastCGI, plus helpers that sign requests like a merchant.
final class SandboxHarness {
    static let appID = "2021000000000001"
    static let sellerID = "2088102177840000"

    let keys: SandboxTestKeys.Pair
    let clock = TestClock()
    let book = SandboxBook()
    let faults = FaultPlan(defaultHangMilliseconds: 200)
    let log = NotificationLog()
    let core: SandboxGatewayCore
    let endpoint: GatewayEndpoint

    init() throws {
        keys = try SandboxTestKeys.pair()
        core = SandboxGatewayCore(appID: Self.appID, merchantPublicKey: keys.merchant.publicKey,
                                  alipayPrivateKey: keys.alipay, book: book, clock: clock.function)
        endpoint = GatewayEndpoint(core: core, faults: faults)
    }

    func control(notifier: Notifier? = nil) -> ControlAPI {
        ControlAPI(book: book, faults: faults, log: log, notifications: notificationBuilder, notifier: notifier,
                   clock: clock.function)
    }

    var notificationBuilder: NotificationBuilder {
        NotificationBuilder(appID: Self.appID, sellerID: Self.sellerID, alipayPrivateKey: keys.alipay)
    }

    /// The common parameters of a call to `method` with `bizContent`, signed with the merchant key.
    func signedParams(
        _ method: String, _ bizContent: String, overriding extra: [String: String] = [:]
    ) throws -> [String: String] {
        var params = [
            "app_id": Self.appID, "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
            "timestamp": CivilTimeText.china.format(clock.now), "version": "1.0", "biz_content": bizContent,
            "notify_url": "http://127.0.0.1:1/notify",
        ]
        params.merge(extra) { _, new in new }
        let message = Array(AlipayCanonical.signingString(params).utf8)
        params["sign"] = Data(try keys.merchant.sign(sha256: message)).base64EncodedString()
        return params
    }

    /// Calls the core and splits the answer into its node (verified when signed) and sign.
    func call(_ method: String, _ bizContent: String) throws -> SandboxAnswer {
        try SandboxAnswer(core.handle(params: try signedParams(method, bizContent)).body, method: method,
                          alipayPublicKey: keys.alipay.publicKey)
    }

    func precreate(_ outTradeNo: String, amount: String = "88.88", subject: String = "测试商品") throws -> SandboxAnswer {
        try call("alipay.trade.precreate",
                 #"{"out_trade_no":"\#(outTradeNo)","total_amount":"\#(amount)","subject":"\#(subject)"}"#)
    }

    func query(_ outTradeNo: String) throws -> SandboxAnswer {
        try call("alipay.trade.query", #"{"out_trade_no":"\#(outTradeNo)"}"#)
    }

    /// Runs a control action with a form body.
    @discardableResult
    func controlAction(_ action: String, _ form: String, notifier: Notifier? = nil) -> SandboxReply {
        control(notifier: notifier).handle(SandboxRequest(
            method: "POST", path: "/sandbox/\(action)", contentType: "application/x-www-form-urlencoded",
            body: Array(form.utf8)))
    }
}

/// A `/gateway.do` answer taken apart.
struct SandboxAnswer {
    let raw: [UInt8]
    /// The exact text of the `<method>_response` or `error_response` node.
    let nodeText: String
    let node: JSONNode
    let sign: String?
    /// True when `sign` verifies over `nodeText` with the sandbox's Alipay public key.
    let signatureValid: Bool
    let isErrorResponse: Bool

    init(_ body: [UInt8], method: String, alipayPublicKey: RSAPublicKey) throws {
        raw = body
        let extracted = try AlipayResponseExtractor.extract(body: body, method: method)
        nodeText = extracted.text
        node = try JSONParser.parse(extracted.bytes)
        sign = extracted.sign
        isErrorResponse = extracted.isErrorResponse
        if let sign, let signature = Data(base64Encoded: sign) {
            signatureValid = alipayPublicKey.verify(sha256: Array(signature), message: Array(nodeText.utf8))
        } else {
            signatureValid = false
        }
    }

    subscript(_ name: String) -> String? { node[name]?.scalarText }

    var code: String? { self["code"] }
    var subCode: String? { self["sub_code"] }
}
