@testable import FastCGI
import Foundation
import Synchronization
import TestSupport
import XCTest

/// The whole server on a unix socket of the test's own: workers accept, a handler answers, the doorman answers a
/// full house, `stop()` drains. One test, because libfcgi's shutdown flag is the process's: once a server has
/// stopped, no other server in the same process accepts again.
final class FastCGIServerTests: XCTestCase {
    func testServerAnswersOnItsSocketTurnsAFullHouseAwayAndStopsWhenAsked() throws {
        let folder = try TemporaryFolder("fcgi")
        defer { folder.remove() }
        let path = folder.path + "/s.sock"
        let server = try FastCGIServer(listen: .unixSocket(path: path), workers: 1, maxBody: 1024, socketMode: 0o600)
        // Two seconds: the moving full house below must not look stuck when a loaded machine (CI, or a build beside
        // the tests) leaves the worker unscheduled for a few hundred milliseconds.
        let busyWaitMilliseconds = 2_000
        let holding = HeldFlag()
        let release = DispatchSemaphore(value: 0)
        let running = Background {
            try server.run(
                makeHandler: { worker in
                    { request in
                        if request.path == "/hold" {
                            holding.value.store(true, ordering: .releasing)
                            release.wait()
                        } else if request.path == "/slow" {
                            // Holds the worker until the doorman has looked at the full house twice more (it looks
                            // about every 10 ms while every worker is busy).
                            let looks = server.doormanLooks.load(ordering: .relaxed)
                            let seen = try? Poll.until("two more looks of the doorman", seconds: 30, every: 0.001) {
                                server.doormanLooks.load(ordering: .relaxed) >= looks + 2
                            }
                            if seen == nil { return Response.text("the doorman never looked") }
                        }
                        return Response.text("worker \(worker) saw \(request.method) \(request.path) \(request.body.count)")
                    }
                },
                overflow: { _ in Response.text("full house") }, overflowAfterMilliseconds: busyWaitMilliseconds)
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

        // The one worker holds a request; the next waits out the busy wait and the doorman answers it. Meanwhile
        // the doorman looks at the full house about every 10 ms, not in a loop without a pause.
        let hold = FastCGIRecords.request(id: 1, params: [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/hold")], body: [])
        let held = Background { try FastCGIRecords.parse(try Self.exchange(path, hold)) }
        try Poll.until("the worker holds its request", seconds: 30) {
            if held.isFinished { _ = try held.value("the held request", seconds: 0) }
            return holding.value.load(ordering: .acquiring)
        }
        let turnedAway = try FastCGIRecords.parse(try Self.exchange(path, FastCGIRecords.request(
            id: 2, params: [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/api/y")], body: [])))
        XCTAssertTrue(String(decoding: turnedAway.stdout[2] ?? [], as: UTF8.self).hasSuffix("full house"))
        let looks = server.doormanLooks.load(ordering: .relaxed)
        XCTAssertGreaterThan(looks, 0, "the doorman saw the full house")
        // Two seconds of busy wait at one look per 10 ms is about 200 looks (fewer on a busy machine); a loop
        // without a pause makes hundreds of thousands.
        XCTAssertLessThan(looks, 5_000, "the doorman looked \(looks) times during one busy wait: it spins")
        release.signal()
        let answered = try held.value("the held request's answer", seconds: 30)
        XCTAssertTrue(String(decoding: answered.stdout[1] ?? [], as: UTF8.self).hasSuffix("worker 0 saw GET /hold 0"))

        // A full house that keeps moving is not turned away: four clients keep the one worker busy with 100 requests,
        // each held until the doorman has looked at the full house twice (about 20 ms; 100 of them last about one
        // busy wait). The doorman sees every worker busy at nearly every look, but the worker takes up a new
        // request every two looks, so no request waits long and every one is the worker's.
        let looksBefore = server.doormanLooks.load(ordering: .relaxed)
        let slow = FastCGIRecords.request(id: 3, params: [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/slow")], body: [])
        let clients = (0..<4).map { _ in
            Background { () throws -> [String] in
                try (0..<25).map { _ in
                    String(decoding: try FastCGIRecords.parse(try Self.exchange(path, slow)).stdout[3] ?? [], as: UTF8.self)
                }
            }
        }
        let answers = try clients.flatMap { try $0.value("a client of the moving full house", seconds: 120) }
        XCTAssertEqual(answers.count, 100)
        XCTAssertEqual(answers.filter { $0.hasSuffix("full house") }.count, 0,
                       "the doorman turned requests away although the worker kept taking them up")
        XCTAssertEqual(answers.filter { $0.hasSuffix("worker 0 saw GET /slow 0") }.count, 100)
        XCTAssertGreaterThan(server.doormanLooks.load(ordering: .relaxed), looksBefore, "the doorman saw the full house")

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

/// Whether the test's handler has taken its request, seen from the test's thread.
private final class HeldFlag: Sendable {
    let value = Atomic<Bool>(false)
}
