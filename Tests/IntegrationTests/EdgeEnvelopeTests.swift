import ContentNegotiation
import Foundation
import PaymentModel
import ThreePayApp
import TestSupport
import XCTest

/// nginx's own errors answer with ThreePay's envelope: the static files in nginx/errors/ are byte for byte what
/// the service writes for the same errcode, the shipped snippet maps every status nginx produces to one, and the
/// stack's nginx (which includes the shipped files) answers a broken request line, TRACE, a 9 KB header, a long
/// URI and a body over the limit with them, in the format ThreePay would have chosen.
final class EdgeEnvelopeTests: XCTestCase {
    private var port: Int { URL(string: TestStack.baseURL)?.port ?? 18080 }

    /// The statuses nginx produces itself and the errcode each is answered with.
    static let nginxStatuses: [Int: ErrorCode] = [
        400: .requestMalformed, 405: .methodNotAllowed, 408: .requestTimedOut, 413: .bodyTooLarge,
        414: .uriTooLong, 429: .tooManyRequests, 500: .internalError, 502: .serviceRestarting,
        503: .serviceRestarting, 504: .serviceTimedOut,
    ]

    // MARK: The shipped files

    func testEveryShippedEnvelopeIsTheOneThreePayWrites() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: EdgeFiles.errorsFolder).sorted()
        var codes: Set<Int> = []
        for file in files {
            let parts = file.split(separator: ".")
            let formats: [Substring: ResponseFormat] = ["json": .json, "xml": .xml, "bson": .bson]
            guard parts.count == 2, let errcode = Int(parts[0]), let code = ErrorCode(rawValue: errcode), let format = formats[parts[1]] else {
                XCTFail("nginx/errors/\(file) is not <errcode>.json, .xml or .bson of a known errcode")
                continue
            }
            codes.insert(errcode)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: EdgeFiles.errorsFolder + "/" + file)))
            let expected = EdgeEnvelope.bytes(code, format: format)
            XCTAssertEqual(
                bytes, expected,
                "nginx/errors/\(file) differs from ThreePay's own envelope; write exactly the expected bytes (no newline at the end; "
                    + "the .bson files come from scripts/make-bson-fixtures.sh)")
        }
        XCTAssertEqual(codes, Set(Self.nginxStatuses.values.map(\.rawValue)), "one file per format and errcode nginx answers with")
        XCTAssertEqual(files.count, codes.count * 3, "each errcode has a .json, a .xml and a .bson file")
    }

    /// Every status nginx produces has an `error_page` line naming the right envelope, and the envelope's
    /// errcode stands for that status in the errcode table (4003 for both 502 and 503).
    func testTheSnippetMapsEveryNginxStatusToItsEnvelope() throws {
        var mapped: [Int: Int] = [:]
        for arguments in EdgeFiles.arguments(of: "error_page", in: try EdgeFiles.snippet) {
            let words = arguments.split(separator: " ").map(String.init)
            guard let target = words.last, target.hasPrefix("/threepay-errors/"), target.hasSuffix(".$threepay_error_type") else {
                XCTFail("an error_page line of the snippet does not name a ThreePay envelope: \(arguments)")
                continue
            }
            let errcode = Int(target.dropFirst("/threepay-errors/".count).prefix { $0.isNumber })
            for word in words.dropLast() {
                guard let status = Int(word) else { continue }
                mapped[status] = errcode
            }
        }
        for (status, code) in Self.nginxStatuses {
            XCTAssertEqual(mapped[status], code.rawValue, "HTTP \(status)")
        }
        // nginx's internal codes for an oversized header and TLS client errors are answered as 400 (`=400`).
        for status in [494, 495, 496, 497] { XCTAssertEqual(mapped[status], ErrorCode.requestMalformed.rawValue, "HTTP \(status)") }
        for code in Set(Self.nginxStatuses.values) where code != .serviceRestarting {
            XCTAssertEqual(Self.nginxStatuses.filter { $0.value == code }.map(\.key), [code.httpStatus], "\(code)")
        }
    }

    // MARK: The stack's nginx

    func testBrokenRequestLinesAndHeadersGet1008() throws {
        let garbage = try EdgeConnection.exchange(Array("GARBAGE\r\n\r\n".utf8), port: port)
        EdgeEnvelope.assert(garbage, status: 400, code: .requestMalformed, mediaType: "application/json", "a request line that is no HTTP")
        // nginx has read Accept when the broken header line comes: the envelope is XML as asked.
        let badHeader = try EdgeConnection.exchange(
            Array("GET /api/3Pay/health HTTP/1.1\r\nHost: localhost\r\nAccept: application/xml\r\nBroken header line\r\n\r\n".utf8), port: port)
        EdgeEnvelope.assert(badHeader, status: 400, code: .requestMalformed, mediaType: "application/xml", "a header line without a colon")
        for accept in ["application/json", "text/xml"] {
            let huge = try EdgeConnection.exchange(
                edgeRequest("GET", "/api/3Pay/health", headers: [("Accept", accept), ("X-Padding", String(repeating: "a", count: 9000))]), port: port)
            EdgeEnvelope.assert(huge, status: 400, code: .requestMalformed, mediaType: accept, "a 9 KB header line [\(accept)]")
        }
        let noHost = try EdgeConnection.exchange(Array("GET /api/3Pay/health HTTP/1.1\r\nAccept: text/xml\r\n\r\n".utf8), port: port)
        EdgeEnvelope.assert(noHost, status: 400, code: .requestMalformed, mediaType: "text/xml", "HTTP/1.1 without Host")
    }

    /// A request line longer than nginx's largest header buffer: nginx stops before the headers, so it cannot
    /// know Accept and answers JSON even to a client that asks for XML.
    func testALongURIGets1009() throws {
        let target = "/api/3Pay/AliPay/Query?billnum=" + String(repeating: "9", count: 9000)
        for accept in ["application/json", "application/xml"] {
            let reply = try EdgeConnection.exchange(edgeRequest("GET", target, headers: [("Accept", accept)]), port: port)
            EdgeEnvelope.assert(reply, status: 414, code: .uriTooLong, mediaType: "application/json", "a 9 KB URI [Accept \(accept)]")
        }
    }

    /// TRACE is refused by nginx itself (405). CONNECT too: nginx 1.22 cannot read its request line (400, and
    /// then Accept is unknown: JSON); later versions refuse the method (405).
    func testMethodsNginxRefusesGetEnvelopes() throws {
        for accept in ["application/json", "application/xml", "application/bson"] {
            let trace = try EdgeConnection.exchange(edgeRequest("TRACE", "/api/3Pay/AliPay/ScanCode", headers: [("Accept", accept)]), port: port)
            EdgeEnvelope.assert(trace, status: 405, code: .methodNotAllowed, mediaType: accept, "TRACE [\(accept)]")
            let connect = try EdgeConnection.exchange(edgeRequest("CONNECT", "example.com:443", host: "example.com", headers: [("Accept", accept)]), port: port)
            if connect.status == 405 {
                EdgeEnvelope.assert(connect, status: 405, code: .methodNotAllowed, mediaType: accept, "CONNECT [\(accept)]")
            } else {
                EdgeEnvelope.assert(connect, status: 400, code: .requestMalformed, mediaType: "application/json", "CONNECT [\(accept)]")
            }
        }
    }

    /// One body limit: nginx refuses a body of THREEPAY_MAX_BODY + 1 bytes with the 1004 envelope the responder
    /// would have written, in the format asked for; nothing reaches the responder (nothing is recorded).
    func testABodyOverTheLimitGets1004FromNginx() throws {
        let limit = try respondersBodyLimit()
        let database = try StackDatabase()
        for (contentType, accept, mediaType) in [
            ("application/json", nil, "application/json"), ("application/xml", nil, "application/xml"),
            ("text/xml", "text/xml", "text/xml"), ("application/x-www-form-urlencoded", "*/*", "application/json"),
            ("application/bson", nil, "application/bson"), ("application/json", "application/bson", "application/bson"),
        ] {
            let billnum = ScanCodeBillNumbers.next("edgebd")
            var body = ScanCodeBill.valid(billnum).json()
            body += [UInt8](repeating: 0x20, count: limit + 1 - body.count)
            var headers = [("Content-Type", contentType)]
            if let accept { headers.append(("Accept", accept)) }
            let reply = try EdgeConnection.exchange(edgeRequest("POST", scanCodePath, headers: headers, body: body), port: port)
            EdgeEnvelope.assert(reply, status: 413, code: .bodyTooLarge, mediaType: mediaType, "\(limit + 1) bytes of \(contentType)")
            XCTAssertEqual(try database.count(billnums: [billnum]), 0, "a refused body was recorded")
        }
    }

    /// nginx picks the format ThreePay picks: for each case TRACE (answered by nginx) and DELETE (answered by
    /// the responder, also 1405) with the same headers get the same Content-Type and the same bytes.
    func testNginxNegotiatesLikeTheResponder() throws {
        let java = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        let cases: [(accept: String?, contentType: String?, requestedWith: String?)] = [
            (nil, nil, nil), (nil, "application/json", nil), (nil, "text/json", nil), (nil, "application/xml", nil),
            (nil, "text/xml; charset=utf-8", nil), (nil, "application/x-www-form-urlencoded", nil),
            ("*/*", "application/xml", nil), (java, "application/xml", nil), (java, nil, nil),
            ("application/json, text/javascript, */*; q=0.01", "application/x-www-form-urlencoded", nil),
            (browser, nil, nil), ("*/*, application/xml", nil, nil), ("text/*", nil, nil), ("text/*, application/*", nil, nil),
            ("application/*, text/*", "application/xml", nil), ("text/plain", "application/xml", nil), ("text/plain", nil, nil),
            (nil, "application/xml", "XMLHttpRequest"), ("*/*", "application/xml", "XMLHttpRequest"),
            ("application/bson", "application/json", nil), ("application/bson", "text/xml", nil),
            (nil, "application/bson", nil), ("text/plain", "application/bson; charset=utf-8", nil), ("application/bson, */*", nil, nil),
            ("*/*", "application/bson", nil), (nil, "application/bson", "XMLHttpRequest"), ("application/xml, application/bson", nil, nil),
            ("application/bson;q=0", "application/bson", nil),
            ("application/xml, application/json", nil, nil), ("application/json, application/xml", "application/xml", nil),
            ("text/xml, text/json", nil, nil), ("application/json;q=0", "application/xml", nil),
            ("application/json; q=0, application/xml", nil, nil), ("text/*, application/xml", nil, nil),
            ("APPLICATION/XML", nil, nil), ("text/json", "application/xml", nil), ("text/html, application/xhtml+xml", "application/xml", nil),
        ]
        var agreed = 0
        for (accept, contentType, requestedWith) in cases {
            var headers: [(String, String)] = []
            if let accept { headers.append(("Accept", accept)) }
            if let contentType { headers.append(("Content-Type", contentType)) }
            if let requestedWith { headers.append(("X-Requested-With", requestedWith)) }
            let label = "Accept \(accept ?? "-"), Content-Type \(contentType ?? "-"), X-Requested-With \(requestedWith ?? "-")"
            let responder = try EdgeConnection.exchange(edgeRequest("DELETE", scanCodePath, headers: headers), port: port)
            let nginx = try EdgeConnection.exchange(edgeRequest("TRACE", scanCodePath, headers: headers), port: port)
            XCTAssertEqual(responder.status, 405, "the responder: \(label): \(responder)")
            XCTAssertEqual(nginx.status, 405, "nginx: \(label): \(nginx)")
            XCTAssertEqual(nginx.header("Content-Type"), responder.header("Content-Type"), label)
            XCTAssertEqual(nginx.text, responder.text, label)
            if nginx.header("Content-Type") == responder.header("Content-Type"), nginx.body == responder.body { agreed += 1 }
        }
        XCTAssertEqual(agreed, cases.count)
    }

    // MARK: One body limit

    /// The shipped snippet's limit is the responder's default, for both ThreePay locations; the stack renders
    /// THREEPAY_MAX_BODY into its copy, so its nginx and its responder agree whatever the setting.
    func testTheBodyLimitIsOneSetting() throws {
        let required = [
            "THREEPAY_ALIPAY_APP_ID": "2021000000000001", "THREEPAY_ALIPAY_APP_PRIVATE_KEY": "unused",
            "THREEPAY_ALIPAY_PUBLIC_KEY": "unused", "THREEPAY_DB_SOCKET": "/unused.sock",
        ]
        let defaults = try Configuration.load(environment: required).get()
        let shipped = try EdgeFiles.snippet
        XCTAssertEqual(EdgeFiles.arguments(of: "client_max_body_size", in: shipped), ["\(defaults.maxBody)", "\(defaults.maxBody)"])
        XCTAssertEqual(EdgeFiles.arguments(of: "client_body_buffer_size", in: shipped), ["\(defaults.maxBody)", "\(defaults.maxBody)"])

        let rendered = try String(contentsOfFile: TestStack.stateDir + "/threepay-location.conf", encoding: .utf8)
        let limit = try respondersBodyLimit()
        XCTAssertEqual(EdgeFiles.arguments(of: "client_max_body_size", in: rendered), ["\(limit)", "\(limit)"])
    }

    /// The running responder's THREEPAY_MAX_BODY (its environment), or the default.
    private func respondersBodyLimit() throws -> Int {
        let pid = try XCTUnwrap(FaultStack.responderPID(), "the stack's responder is not running")
        let setting = try FaultStack.launch(of: pid).environment["THREEPAY_MAX_BODY"]
        return try XCTUnwrap(Int(setting ?? "65536"), "THREEPAY_MAX_BODY=\(setting ?? "")")
    }

    // MARK: The README

    /// The README's errcode table lists every errcode with its HTTP status (4003 also with nginx's 502).
    func testTheReadmeTableListsEveryErrcode() throws {
        let readme = try String(contentsOf: TestStack.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var rows: [Int: String] = [:]
        for line in readme.components(separatedBy: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3, let errcode = Int(cells[0]), cells[0].count <= 4 else { continue }
            rows[errcode] = cells[1]
        }
        for code in ErrorCode.allCases {
            guard let statuses = rows[code.rawValue] else {
                XCTFail("the README's errcode table has no row for \(code.rawValue)")
                continue
            }
            XCTAssertTrue(statuses.contains(String(code.httpStatus)), "errcode \(code.rawValue): README says HTTP \(statuses)")
        }
        for (status, code) in Self.nginxStatuses {
            XCTAssertTrue(rows[code.rawValue]?.contains(String(status)) == true, "the README does not say that nginx's \(status) carries \(code.rawValue)")
        }
    }
}
