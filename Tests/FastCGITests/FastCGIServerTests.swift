import FastCGI
import Foundation
import TestSupport
import XCTest

/// The whole server on a unix socket of the test's own: workers accept, a handler answers, `stop()` drains.
final class FastCGIServerTests: XCTestCase {
    func testServerAnswersOnItsSocketAndStopsWhenAsked() throws {
        let folder = try TemporaryFolder("fcgi")
        defer { folder.remove() }
        let path = folder.path + "/s.sock"
        let server = try FastCGIServer(listen: .unixSocket(path: path), workers: 2, maxBody: 1024, socketMode: 0o600)
        let running = Background {
            try server.run { worker in
                { request in Response.text("worker \(worker) saw \(request.method) \(request.path) \(request.body.count)") }
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "the socket exists once the server is made")
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue, 0o600)

        let reply = try FastCGIRecords.parse(try Self.exchange(path, FastCGIRecords.request(
            id: 5, params: [("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/api/x"), ("CONTENT_LENGTH", "3")],
            body: Array("abc".utf8))))
        let text = String(decoding: reply.stdout[5] ?? [], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("Status: 200 OK\r\n"), text)
        XCTAssertNotNil(text.range(of: #"worker [01] saw POST /api/x 3$"#, options: .regularExpression), text)
        XCTAssertEqual(reply.endOrder, [5])

        server.stop()
        try running.value("the server's run returning after stop()", seconds: 60)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the socket is removed once the server stopped")
    }

    /// Connects to the unix socket at `path`, sends `records`, ends its half, and reads until the server closes.
    private static func exchange(_ path: String, _ records: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8) + [0])
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect \(path): errno \(errno)") }
        try WebEnd.send(records, to: fd)
        shutdown(fd, Int32(SHUT_WR))
        return try WebEnd.receiveAll(from: fd)
    }
}
