import Alipay
import CurlClient
import Foundation
import PaymentModel
import RSASigning
import ThreePayApp
import XCTest

/// ThreePay's Alipay client against the sandbox gateway, through nginx over libcurl: every
/// operation, and each kind of failure mapped to its typed error.
final class AlipayRoundTripTests: XCTestCase {
    override func tearDown() async throws {
        _ = try? await StackSandbox.run { try $0.resetFaults() }
    }

    private func client(
        gateway: String = TestStack.baseURL + "/gateway.do", appID: String = "2021000000000001",
        timeoutMilliseconds: Int = 3000
    ) throws -> AlipayClient {
        let keys = TestStack.stateDir + "/keys"
        let configuration = AlipayConfiguration(
            gatewayURL: gateway, appID: appID,
            appPrivateKey: try KeySource.privateKey(keys + "/app_private.pem", setting: "test app key"),
            alipayPublicKey: try KeySource.publicKey(keys + "/sandbox_alipay_public.pem", setting: "test Alipay key"))
        let http = try HTTPClient(connectTimeoutMilliseconds: 1000, totalTimeoutMilliseconds: timeoutMilliseconds)
        return AlipayClient(configuration: configuration, transport: CurlTransport(client: http))
    }

    private func tradeNumber() -> String {
        "RT" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)
    }

    private func sandbox(_ action: String, _ outTradeNo: String, notify: Bool = true) async throws {
        let answer = try await HTTP.post(
            "/sandbox/\(action)", Array("out_trade_no=\(outTradeNo)\(notify ? "" : "&notify=0")".utf8),
            contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(answer.status, 200, answer.text)
    }

    private func expect(
        _ expected: (AlipayError) -> Bool, file: StaticString = #filePath, line: UInt = #line,
        _ call: () throws -> Void
    ) {
        do {
            try call()
            XCTFail("the call succeeded", file: file, line: line)
        } catch let error as AlipayError {
            XCTAssertTrue(expected(error), "unexpected error \(error)", file: file, line: line)
        } catch {
            XCTFail("not an AlipayError: \(error)", file: file, line: line)
        }
    }

    func testEveryOperationRoundTrips() async throws {
        let alipay = try client()
        let paidTrade = tradeNumber()
        let created = try alipay.precreate(outTradeNo: paidTrade, totalAmount: Money(fen: 100), subject: "round trip")
        XCTAssertTrue(created.qrCode.hasPrefix("https://qr.alipay.com/"), created.qrCode)
        XCTAssertEqual(try alipay.precreate(outTradeNo: paidTrade, totalAmount: Money(fen: 100), subject: "round trip"),
                       created, "the same trade precreated twice keeps its QR code")
        expect({ if case .business(_, _, "ACQ.TRADE_NOT_EXIST", _) = $0 { true } else { false } }) {
            _ = try alipay.query(.outTradeNo(paidTrade))
        }
        try await sandbox("pay", paidTrade, notify: false)
        let paid = try alipay.query(.outTradeNo(paidTrade))
        XCTAssertTrue(paid.tradeStatus.isPaid)
        XCTAssertEqual(paid.totalAmount, Money(fen: 100))
        XCTAssertNotNil(paid.tradeNo)

        let refund = try alipay.refund(.outTradeNo(paidTrade), refundAmount: Money(fen: 40), outRequestNo: "R1")
        XCTAssertTrue(refund.fundChange)
        XCTAssertEqual(refund.refundFee, Money(fen: 40))
        let refundQuery = try alipay.refundQuery(.outTradeNo(paidTrade), outRequestNo: "R1")
        XCTAssertTrue(refundQuery.isRefunded)
        XCTAssertEqual(refundQuery.refundAmount, Money(fen: 40))
        expect({ if case .business(_, _, "ACQ.TRADE_STATUS_ERROR", _) = $0 { true } else { false } }) {
            _ = try alipay.close(.outTradeNo(paidTrade))
        }
        XCTAssertEqual(try alipay.cancel(.outTradeNo(paidTrade)).action, "refund")

        let scannedTrade = tradeNumber()
        _ = try alipay.precreate(outTradeNo: scannedTrade, totalAmount: Money(fen: 250), subject: "round trip")
        try await sandbox("scan", scannedTrade)
        XCTAssertEqual(try alipay.query(.outTradeNo(scannedTrade)).tradeStatus, .waitBuyerPay)
        _ = try alipay.close(.outTradeNo(scannedTrade))
        XCTAssertEqual(try alipay.query(.outTradeNo(scannedTrade)).tradeStatus, .closed)

        let unpaidTrade = tradeNumber()
        _ = try alipay.precreate(outTradeNo: unpaidTrade, totalAmount: Money(fen: 300), subject: "round trip")
        try await sandbox("scan", unpaidTrade)
        XCTAssertEqual(try alipay.cancel(.outTradeNo(unpaidTrade)).action, "close")
    }

    func testTamperedResponseSignatureIsInvalidSignature() async throws {
        _ = try await HTTP.postJSON("/sandbox/faults", ["mode": "bad_signature"])
        let alipay = try client()
        expect({ $0 == .invalidSignature && $0.outcomeIsUnknown }) {
            _ = try alipay.precreate(outTradeNo: tradeNumber(), totalAmount: Money(fen: 1), subject: "tampered")
        }
    }

    func testMissingSignatureIsNeverSuccess() async throws {
        _ = try await HTTP.postJSON("/sandbox/faults", ["mode": "no_signature"])
        let alipay = try client()
        expect({ $0 == .missingSignature }) {
            _ = try alipay.precreate(outTradeNo: tradeNumber(), totalAmount: Money(fen: 1), subject: "unsigned")
        }
    }

    func testUnsignedErrorResponseIsAnUnverifiedRefusal() throws {
        let alipay = try client(appID: "2021999999999999")
        expect({
            if case .unsignedBusiness("40002", _, "isv.invalid-app-id", _) = $0 { true } else { false }
        }) {
            _ = try alipay.query(.outTradeNo(tradeNumber()))
        }
    }

    func testGatewayTimeoutLeavesTheOutcomeUnknown() async throws {
        // A hang far longer than the test, which only a fault reset ends (tearDown).
        _ = try await HTTP.postJSON("/sandbox/faults", ["mode": "hang", "hang_ms": 3_600_000])
        let alipay = try client(timeoutMilliseconds: 500)
        expect({ if case .outcomeUnknown = $0 { true } else { false } }) {
            _ = try alipay.precreate(outTradeNo: tradeNumber(), totalAmount: Money(fen: 1), subject: "slow")
        }
        let faults = try await StackSandbox.run { try $0.faults() }
        XCTAssertEqual(faults["mode"], "hang", "the call ended while the sandbox still held it: the client's own timeout ended it")
    }

    func testHTTP502IsOutcomeUnknown() async throws {
        _ = try await HTTP.postJSON("/sandbox/faults", ["mode": "http502"])
        let alipay = try client()
        expect({ if case .outcomeUnknown = $0 { true } else { false } }) {
            _ = try alipay.query(.outTradeNo(tradeNumber()))
        }
    }

    func testConnectionRefusedIsOutcomeUnknown() throws {
        let alipay = try client(gateway: "http://127.0.0.1:9/gateway.do")
        expect({ if case .outcomeUnknown = $0 { true } else { false } }) {
            _ = try alipay.precreate(outTradeNo: tradeNumber(), totalAmount: Money(fen: 1), subject: "nobody")
        }
    }
}
