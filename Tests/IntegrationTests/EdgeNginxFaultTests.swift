import Foundation
import PaymentModel
import TestSupport
import XCTest

/// The errors nginx raises when something behind it or around it goes wrong, provoked on a second nginx built
/// from the shipped http part and snippet, with test-only values where waiting for the shipped ones would take
/// too long: a socket nobody listens on (502), a responder that never answers (504 after a 1 s
/// fastcgi_read_timeout), a body folder that vanished (nginx's own 500), a request rate of 2 a minute (429, and
/// 503 where an operator keeps nginx's default limit status), and clients that stop half-way (1 s timeouts).
/// Every answer is ThreePay's envelope, in JSON or XML as asked; none is nginx's HTML page.
final class EdgeNginxFaultTests: XCTestCase {
    private var nginx: EdgeNginx?
    private var silent: EdgeSilentSocket?

    override func setUpWithError() throws {
        try super.setUpWithError()
        let folder = TestStack.stateDir + "/edge-nginx"
        let responder = TestStack.stateDir + "/threepay.sock"
        silent = try EdgeSilentSocket(path: TestStack.stateDir + "/edge-silent.sock")
        let live = EdgeNginx.Server(name: "live", socket: responder, settings: [("client_header_timeout", "1s"), ("client_body_timeout", "1s")])
        let others = [
            EdgeNginx.Server(name: "dead", socket: TestStack.stateDir + "/edge-nobody.sock"),
            EdgeNginx.Server(name: "silent", socket: silent!.path, settings: [("fastcgi_read_timeout", "1s")]),
            EdgeNginx.Server(
                name: "nodisk", socket: responder, settings: [("client_body_buffer_size", "1024")],
                extraLines: ["client_body_temp_path \(folder)/nodisk-body;"]),
            EdgeNginx.Server(name: "limited", socket: responder, settings: [("limit_req", "zone=threepay_req burst=1 nodelay")]),
            EdgeNginx.Server(
                name: "unstated", socket: responder,
                settings: [("limit_req", "zone=threepay_req burst=1 nodelay"), ("limit_req_status", "503")]),
        ]
        nginx = try EdgeNginx(
            main: live, others: others, httpSettings: [("limit_req_zone", "$threepay_limit_key zone=threepay_req:10m rate=2r/m")])
        // nginx made the body folder at start; without it, a body that does not fit in memory fails inside nginx.
        try FileManager.default.removeItem(atPath: folder + "/nodisk-body")
    }

    override func tearDown() {
        nginx?.stop()
        nginx = nil
        silent = nil
        super.tearDown()
    }

    private static let formats = ["application/json", "application/xml"]

    func testNothingListeningOnTheSocketGets4003With502() throws {
        for accept in Self.formats + ["application/bson"] {
            let reply = try nginx!.exchange(edgeRequest("POST", scanCodePath, host: "dead", headers: [("Accept", accept), ("Content-Type", "application/json")], body: Array("{}".utf8)))
            EdgeEnvelope.assert(reply, status: 502, code: .serviceRestarting, mediaType: accept, "responder socket missing [\(accept)]")
        }
    }

    func testAResponderThatDoesNotAnswerInTimeGets4004With504() throws {
        for accept in Self.formats {
            let reply = try nginx!.exchange(edgeRequest("GET", "/api/3Pay/health", host: "silent", headers: [("Accept", accept)]))
            EdgeEnvelope.assert(reply, status: 504, code: .serviceTimedOut, mediaType: accept, "fastcgi_read_timeout passed [\(accept)]")
        }
    }

    func testNginxsOwnFailureGets5000() throws {
        for accept in Self.formats {
            let body = ScanCodeBill.valid(ScanCodeBillNumbers.next("edge5")).json() + [UInt8](repeating: 0x20, count: 4000)
            let reply = try nginx!.exchange(edgeRequest("POST", scanCodePath, host: "nodisk", headers: [("Accept", accept), ("Content-Type", "application/json")], body: body))
            EdgeEnvelope.assert(reply, status: 500, code: .internalError, mediaType: accept, "no body folder [\(accept)]")
        }
    }

    /// Two requests pass (the rate, then the burst of 1); every further one within the minute gets 429.
    func testRequestsAboveTheRateGet1011With429() throws {
        try assertRateLimited(host: "limited", from: "127.0.0.3", status: 429, code: .tooManyRequests)
        // Another address has its own allowance, and loopback itself (a monitor, a proxy on the host) is not limited.
        let other = try nginx!.exchange(edgeRequest("GET", "/api/3Pay/health", host: "limited"), from: "127.0.0.5")
        XCTAssertEqual(other.status, 200, other.description)
        let local = try (0..<6).map { _ in try nginx!.exchange(edgeRequest("GET", "/api/3Pay/health", host: "limited"), from: "127.0.0.1") }
        XCTAssertEqual(local.map(\.status), Array(repeating: 200, count: 6), local.map(\.description).joined(separator: "\n"))
    }

    /// An operator who leaves out `limit_req_status 429` gets nginx's default 503: still an envelope (4003).
    func testNginxsDefaultLimitStatusGets4003With503() throws {
        try assertRateLimited(host: "unstated", from: "127.0.0.4", status: 503, code: .serviceRestarting)
    }

    /// Six health requests from `source`, alternately asking for JSON and XML: the first two reach ThreePay, the
    /// other four get nginx's `status` with the envelope of `code`.
    private func assertRateLimited(host: String, from source: String, status: Int, code: ErrorCode, line: UInt = #line) throws {
        let answers = try (0..<6).map { index in
            try nginx!.exchange(edgeRequest("GET", "/api/3Pay/health", host: host, headers: [("Accept", Self.formats[index % 2])]), from: source)
        }
        XCTAssertEqual(answers.prefix(2).map(\.status), [200, 200], answers.map(\.description).joined(separator: "\n"), line: line)
        for (index, reply) in answers.enumerated().dropFirst(2) {
            EdgeEnvelope.assert(reply, status: status, code: code, mediaType: Self.formats[index % 2], "request \(index + 1) above the rate", line: line)
        }
    }

    /// A client that stops half-way through its headers or its body is cut after the timeout. nginx closes such a
    /// connection without answering (it logs 408): the client gets no bytes at all, never an HTML page; should
    /// nginx answer, it is the 1010 envelope.
    func testSlowClientsAreCutWithoutAPage() throws {
        let partialHeader = Array("POST \(scanCodePath) HTTP/1.1\r\nHost: live\r\nAccept: application/xml\r\nContent-Ty".utf8)
        let partialBody = Array("POST \(scanCodePath) HTTP/1.1\r\nHost: live\r\nAccept: application/xml\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"billnum\":".utf8)
        var cut = 0
        var answered = 0
        for (label, request) in [("half a header", partialHeader), ("a tenth of a body", partialBody)] {
            let connection = try EdgeConnection(port: nginx!.port)
            try connection.send(request)
            let (bytes, ending) = connection.readToEnd(seconds: 15)
            XCTAssertNotEqual(ending, .open, "\(label): nginx kept the connection open past its 1 s timeout")
            if bytes.isEmpty {
                cut += 1
            } else {
                let reply = try EdgeReply(parsing: bytes)
                EdgeEnvelope.assert(reply, status: 408, code: .requestTimedOut, mediaType: "application/xml", label)
                answered += 1
            }
        }
        XCTAssertEqual(cut + answered, 2, "each slow client was cut")
        print("slow clients: \(cut) cut without an answer, \(answered) answered with the 1010 envelope")
    }
}
