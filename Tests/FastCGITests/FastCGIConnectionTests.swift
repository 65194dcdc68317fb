@testable import FastCGI
import Foundation
import TestSupport
import XCTest

/// The responder's side of FastCGI through a socketpair: the test writes nginx's records into one end and
/// reads what `FastCGIConnection` (libfcgi underneath) makes of them on the other: parameters, body, body
/// limit, the answer's bytes and the end of the request.
final class FastCGIConnectionTests: XCTestCase {
    /// Both ends of a connected stream socketpair; `close()` closes whatever is still open.
    private struct Pair {
        let web: Int32
        let responder: Int32

        static func make() throws -> Pair {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
                throw TestFailure("socketpair: errno \(errno)")
            }
            return Pair(web: fds[0], responder: fds[1])
        }
    }

    /// Plays the web server: writes `records` (then ends its half of the stream) and reads everything the
    /// responder writes until it closes. The responder side runs on the calling thread: `serve` gets the
    /// connection and does what a worker does.
    private func exchange(
        _ records: [UInt8], serve: (FastCGIConnection) throws -> Void
    ) throws -> FastCGIRecords.Reply {
        let pair = try Pair.make()
        let web = pair.web
        let writer = Background { () -> Bool in
            try WebEnd.send(records, to: web)
            return shutdown(web, Int32(SHUT_WR)) == 0
        }
        let reader = Background { try WebEnd.receiveAll(from: web) }
        let connection = FastCGIConnection(connectedSocket: pair.responder)
        defer { connection.release() }
        try serve(connection)
        let output = try reader.value("the responder's output up to its close", seconds: 60)
        _ = try writer.value("the records written", seconds: 60)
        close(web)
        return try FastCGIRecords.parse(output)
    }

    /// One request answered the way a worker answers it; returns the request as read, and the reply.
    private func serveOne(
        _ records: [UInt8], maxBody: Int = 65536, respond: (Request) -> Response = { _ in Response.text("ok") }
    ) throws -> (request: Request, reply: FastCGIRecords.Reply) {
        var seen: Request?
        let reply = try exchange(records) { connection in
            guard connection.accept() else { throw TestFailure("accept failed") }
            let request = connection.readRequest(maxBody: maxBody)
            seen = request
            connection.write(respond(request))
            connection.finish()
        }
        return (try XCTUnwrap(seen), reply)
    }

    // MARK: Parameters and body

    func testParamsAndBodyAreDecodedAcrossRecords() throws {
        let longValue = String(repeating: "v", count: 300)
        let longName = "HTTP_X_" + String(repeating: "N", count: 200)
        let body = Array("{\"billnum\":\"B1\",\"paymentvalue\":12.34}".utf8)
        let params: [(String, String)] = [
            ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/api/3Pay/AliPay/ScanCode"),
            ("REQUEST_URI", "/api/3Pay/AliPay/ScanCode?x=1&y=%20"), ("QUERY_STRING", "x=1&y=%20"),
            ("CONTENT_TYPE", "application/json; charset=utf-8"), ("CONTENT_LENGTH", String(body.count)),
            ("HTTP_ACCEPT", "application/xml"), ("HTTP_X_REQUESTED_WITH", "XMLHttpRequest"),
            ("REMOTE_ADDR", "10.0.0.8"), ("LONG_VALUE", longValue), (longName, "long name"), ("EMPTY", ""),
        ]
        // Parameters cut into 7-byte records (pairs split mid-length and mid-text), the body into 5-byte ones.
        let (request, reply) = try serveOne(
            FastCGIRecords.request(id: 3, params: params, body: body, paramsChunk: 7, bodyChunk: 5))

        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/api/3Pay/AliPay/ScanCode")
        XCTAssertEqual(request.query, "x=1&y=%20")
        XCTAssertEqual(request.remoteAddress, "10.0.0.8")
        XCTAssertEqual(request.header("Accept"), "application/xml")
        XCTAssertEqual(request.header("content-type"), "application/json; charset=utf-8")
        XCTAssertEqual(request.headers["x-requested-with"], "XMLHttpRequest")
        XCTAssertEqual(request.headers["content-length"], String(body.count))
        XCTAssertEqual(request.headers["x-" + String(repeating: "n", count: 200)], "long name")
        XCTAssertEqual(request.params["LONG_VALUE"], longValue)
        XCTAssertEqual(request.params["EMPTY"], "")
        XCTAssertEqual(request.params["FCGI_ROLE"], "RESPONDER", "libfcgi adds the role it read from BEGIN_REQUEST")
        XCTAssertEqual(request.body, body)
        XCTAssertFalse(request.bodyTooLarge)
        XCTAssertEqual(reply.endOrder, [3], "the answer belongs to request 3")
    }

    func testBodyWithoutContentLengthIsReadToTheEndOfStdin() throws {
        let body = [UInt8]((0..<3000).map { UInt8($0 % 251) })
        let (request, _) = try serveOne(
            FastCGIRecords.request(params: [("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/x")], body: body, bodyChunk: 1000))
        XCTAssertEqual(request.body, body)
        XCTAssertFalse(request.bodyTooLarge)
    }

    func testShorterBodyThanDeclaredIsWhatArrived() throws {
        let (request, _) = try serveOne(FastCGIRecords.request(
            params: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "10")], body: Array("abcd".utf8)))
        XCTAssertEqual(request.body, Array("abcd".utf8))
        XCTAssertFalse(request.bodyTooLarge)
    }

    func testContentLengthWithBlanksAroundItIsStillRead() throws {
        let (request, _) = try serveOne(FastCGIRecords.request(
            params: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", " 4\t")], body: Array("abcdef".utf8)))
        XCTAssertEqual(request.body, Array("abcd".utf8), "the declared length is read, not the end of stdin")
    }

    func testHeaderNamesMatchIgnoringASCIICaseOnly() {
        let response = Response(headers: [("X-ThreePay-Errcode", "0"), ("Content-Type", "text/plain")])
        XCTAssertEqual(response.header("x-threepay-errcode"), "0")
        XCTAssertEqual(response.header("CONTENT-TYPE"), "text/plain")
        XCTAssertNil(response.header("X-ThreePay-Errcod"))
        XCTAssertNil(response.header("X-ThreePay-Errcodf"))
        XCTAssertTrue(Response.sameName("Content-Length", "cONTENT-lENGTH"))
        XCTAssertFalse(Response.sameName("Content-Length", "Content_Length"))
        XCTAssertFalse(Response.sameName("ÉTAG", "étag"), "only ASCII letters fold")
    }

    func testDerivedFieldsWithoutDocumentURI() throws {
        let (request, _) = try serveOne(FastCGIRecords.request(params: [("REQUEST_URI", "/api/3Pay/health?gateway=1")]))
        XCTAssertEqual(request.method, "GET", "no REQUEST_METHOD: GET")
        XCTAssertEqual(request.path, "/api/3Pay/health", "the path is REQUEST_URI up to the query")
        XCTAssertEqual(request.query, "")
        XCTAssertEqual(request.body, [])
    }

    // MARK: The body limit

    func testDeclaredBodyOverTheLimitIsNotRead() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 1025)
        let (request, reply) = try serveOne(
            FastCGIRecords.request(params: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "1025")], body: body),
            maxBody: 1024)
        XCTAssertTrue(request.bodyTooLarge)
        XCTAssertEqual(request.body, [])
        XCTAssertEqual(reply.ended[1]?.protocolStatus, 0, "the request is still answered")
    }

    func testBodyAtTheLimitIsRead() throws {
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 1024)
        let declared = try serveOne(
            FastCGIRecords.request(params: [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "1024")], body: body),
            maxBody: 1024)
        XCTAssertFalse(declared.request.bodyTooLarge)
        XCTAssertEqual(declared.request.body, body)
        let undeclared = try serveOne(FastCGIRecords.request(params: [("REQUEST_METHOD", "POST")], body: body), maxBody: 1024)
        XCTAssertFalse(undeclared.request.bodyTooLarge)
        XCTAssertEqual(undeclared.request.body, body)
    }

    func testUndeclaredBodyOverTheLimitIsRefused() throws {
        // Far more than the limit and than a socket buffer: the reader stops at the limit; libfcgi drains the
        // rest when it closes the connection.
        let body = [UInt8](repeating: UInt8(ascii: "c"), count: 300_000)
        let (request, reply) = try serveOne(
            FastCGIRecords.request(params: [("REQUEST_METHOD", "POST")], body: body), maxBody: 1024)
        XCTAssertTrue(request.bodyTooLarge)
        XCTAssertEqual(request.body, [])
        XCTAssertEqual(reply.endOrder, [1])
    }

    // MARK: The answer

    func testAnswerBytesAreTheCGIHeadAndTheBody() throws {
        let body = Array(#"{"errcode":1405,"errmsg":"只接受 POST"}"#.utf8)
        let (_, reply) = try serveOne(FastCGIRecords.request(id: 9, params: [("REQUEST_METHOD", "GET")])) { _ in
            Response(status: 405, headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("Allow", "POST"),
                ("X-Note", "one\r\nInjected: yes"), ("content-length", "999"),
            ], body: body)
        }
        let head = "Status: 405 Method Not Allowed\r\nContent-Type: application/json; charset=utf-8\r\nAllow: POST\r\n"
            + "X-Note: oneInjected: yes\r\nContent-Length: \(body.count)\r\n\r\n"
        XCTAssertEqual(reply.stdout[9], Array(head.utf8) + body,
                       "line breaks are taken out of values; the handler's Content-Length is replaced by the real one")
        XCTAssertEqual(reply.stderr[9] ?? [], [])
        XCTAssertEqual(reply.ended[9]?.appStatus, 0)
        XCTAssertEqual(reply.ended[9]?.protocolStatus, 0, "FCGI_REQUEST_COMPLETE")
        XCTAssertEqual(reply.endOrder, [9])
    }

    func testLargeAnswerIsSplitIntoRecordsAndArrivesWhole() throws {
        let body = [UInt8]((0..<200_000).map { UInt8($0 % 253) })
        let (_, reply) = try serveOne(FastCGIRecords.request(params: [("REQUEST_METHOD", "GET")])) { _ in
            Response(status: 200, headers: [("Content-Type", "application/octet-stream")], body: body)
        }
        let head = Array("Status: 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n".utf8)
        XCTAssertEqual(reply.stdout[1], head + body)
        XCTAssertGreaterThan(reply.stdoutRecords[1] ?? 0, 3, "a record holds at most 65535 bytes")
        XCTAssertEqual(reply.endOrder, [1])
    }

    func testKeptConnectionServesRequestsOneAfterAnother() throws {
        // As nginx does with fastcgi_keep_conn: the second request goes out once the first one has ended.
        let pair = try Pair.make()
        let web = pair.web
        let webSide = Background { () -> [UInt8] in
            var received: [UInt8] = []
            try WebEnd.send(FastCGIRecords.request(id: 1, keepConnection: true, params: [("DOCUMENT_URI", "/first")]), to: web)
            while try FastCGIRecords.parse(received).endOrder != [1] {
                received += try WebEnd.receive(from: web)
            }
            try WebEnd.send(FastCGIRecords.request(id: 2, params: [("DOCUMENT_URI", "/second")]), to: web)
            shutdown(web, Int32(SHUT_WR))
            return received + (try WebEnd.receiveAll(from: web))
        }
        let connection = FastCGIConnection(connectedSocket: pair.responder)
        var paths: [String] = []
        for _ in 0..<2 {
            guard connection.accept() else { break }
            let request = connection.readRequest(maxBody: 1024)
            paths.append(request.path)
            connection.write(Response.text("answer to \(request.path)"))
            connection.finish()
        }
        connection.release()
        let reply = try FastCGIRecords.parse(try webSide.value("both answers", seconds: 60))
        close(web)
        XCTAssertEqual(paths, ["/first", "/second"])
        XCTAssertEqual(reply.endOrder, [1, 2])
        XCTAssertTrue(String(decoding: reply.stdout[1] ?? [], as: UTF8.self).hasSuffix("answer to /first"))
        XCTAssertTrue(String(decoding: reply.stdout[2] ?? [], as: UTF8.self).hasSuffix("answer to /second"))
    }

    func testStatusLinesNameTheReason() {
        XCTAssertEqual(Response.reason(for: 413), "Payload Too Large")
        XCTAssertEqual(Response.reason(for: 503), "Service Unavailable")
        XCTAssertEqual(Response.reason(for: 299), "Status", "an unlisted code still gets a reason phrase")
    }
}
