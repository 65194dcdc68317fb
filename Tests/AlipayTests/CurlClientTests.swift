import CurlClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import XCTest

/// HTTPClient against sockets on 127.0.0.1 made inside the test.
final class CurlClientTests: XCTestCase {
    func testPostSendsBodyAndContentTypeAndCapturesTheReply() throws {
        let server = try LoopbackHTTPServer { request in
            .init(status: 201, headers: [("X-Echo-Length", "\(request.body.count)")], body: Array(request.body.reversed()))
        }
        defer { server.stop() }
        let client = try HTTPClient(totalTimeoutMilliseconds: 5000)
        let body: [UInt8] = Array("a=1&b=%2B".utf8) + [0, 255]
        let reply = try client.post(url: "http://127.0.0.1:\(server.port)/gateway.do", contentType: "application/x-www-form-urlencoded;charset=utf-8",
                                    body: body, headers: [("X-Trace", "t1")])
        XCTAssertEqual(reply.status, 201)
        XCTAssertEqual(reply.body, body.reversed())
        XCTAssertEqual(reply.header("x-echo-length"), "\(body.count)")
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.requestLine, "POST /gateway.do HTTP/1.1")
        XCTAssertEqual(request.header("Content-Type"), "application/x-www-form-urlencoded;charset=utf-8")
        XCTAssertEqual(request.header("X-Trace"), "t1")
        XCTAssertNil(request.header("Expect"))
        XCTAssertEqual(request.body, body)
    }

    func testConnectionIsKeptAliveAcrossRequests() throws {
        let server = try LoopbackHTTPServer { _ in .init(status: 404, body: Array("nope".utf8)) }
        defer { server.stop() }
        let client = try HTTPClient()
        let first = try client.get(url: "http://127.0.0.1:\(server.port)/a")
        let second = try client.post(url: "http://127.0.0.1:\(server.port)/b", contentType: "text/plain", body: [])
        XCTAssertEqual(first.status, 404, "HTTP errors are replies, not thrown")
        XCTAssertEqual(second.body, Array("nope".utf8))
        XCTAssertEqual(server.requests.map(\.requestLine), ["GET /a HTTP/1.1", "POST /b HTTP/1.1"])
        XCTAssertEqual(server.connectionCount, 1)
    }

    func testRefusedConnectionIsConnectFailed() throws {
        let (socket, port) = try LoopbackHTTPServer.listeningSocket(backlog: nil)
        close(socket)  // bound once, now nothing listens there
        let client = try HTTPClient(connectTimeoutMilliseconds: 1000, totalTimeoutMilliseconds: 2000)
        XCTAssertThrowsError(try client.get(url: "http://127.0.0.1:\(port)/")) { error in
            guard case .connectFailed = error as? HTTPClientError else { return XCTFail("\(error)") }
        }
    }

    func testSilentServerTimesOut() throws {
        let (socket, port) = try LoopbackHTTPServer.listeningSocket(backlog: 4)
        defer { close(socket) }  // listens (the kernel completes the handshake) but never answers, until closed
        // Only the client's own 300 ms limit can end the call while the server stays silent; the deadline only
        // keeps a client that ignored it from hanging the suite.
        let call = Background { () -> Result<HTTPReply, HTTPClientError> in
            let client = try HTTPClient(connectTimeoutMilliseconds: 1000, totalTimeoutMilliseconds: 300)
            return Result { () throws(HTTPClientError) in
                try client.post(url: "http://127.0.0.1:\(port)/", contentType: "text/plain", body: Array("x".utf8))
            }
        }
        let outcome = try call.value("the call to a silent server ended", seconds: 60)
        guard case .failure(.timeout) = outcome else { return XCTFail("\(outcome)") }
    }

    func testBadURLsAndHeadersAreRefused() throws {
        let client = try HTTPClient()
        XCTAssertThrowsError(try client.get(url: "ftp://127.0.0.1/x")) { error in
            guard case .invalidURL = error as? HTTPClientError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try client.get(url: "http://[::1/x")) { error in
            guard case .invalidURL = error as? HTTPClientError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try client.post(url: "http://127.0.0.1:1/", contentType: "text/plain", body: [],
                                             headers: [("X-Bad", "a\r\nInjected: yes")])) { error in
            guard case .transport = error as? HTTPClientError else { return XCTFail("\(error)") }
        }
    }

    func testTLSHandshakeFailureIsTLS() throws {
        // The peer answers the TLS ClientHello with plain HTTP, so the handshake fails at once.
        let server = try LoopbackHTTPServer(greeting: Array("HTTP/1.1 400 Plain\r\n\r\n".utf8)) { _ in
            .init(status: 400, body: [])
        }
        defer { server.stop() }
        let client = try HTTPClient(connectTimeoutMilliseconds: 2000, totalTimeoutMilliseconds: 3000)
        XCTAssertThrowsError(try client.get(url: "https://127.0.0.1:\(server.port)/")) { error in
            guard case .tls = error as? HTTPClientError else { return XCTFail("\(error)") }
        }
    }
}
