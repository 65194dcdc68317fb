import FastCGI
import Foundation
import TestSupport
import XCTest

/// Slow peers: 9,000 connections from 127.0.0.2 that each send half a request header and then nothing (more
/// than the 2 × 4,096 connections nginx had before, which such a peer used up) do not stop ScanCode from
/// 127.0.0.1, and nginx cuts every one of them after the shipped client_header_timeout.
final class EdgeSlowPeerTests: XCTestCase {
    private static let halfOpen = 9000
    private static let formerCapacity = 2 * 4096

    func testThousandsOfHalfOpenConnectionsFromOneAddressDoNotStopScanCodeFromAnother() throws {
        try Self.raiseOpenFileLimit(to: Self.halfOpen + 2000)
        let port = URL(string: TestStack.baseURL)?.port ?? 18080
        let timeout = try Self.shippedHeaderTimeout()
        let partial = Array("POST \(scanCodePath) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Le".utf8)

        var held: [EdgeConnection] = []
        var refused = 0
        // Opening 9,000 connections can take longer than client_header_timeout on a busy machine, and nginx
        // rightly cuts the first ones meanwhile: connections it cut are replaced until more than nginx's former
        // capacity are held at once.
        var live = 0
        try Poll.until("more than \(Self.formerCapacity) half-open connections held at once", seconds: 120) {
            held.removeAll(where: \.peerHasEnded)
            while held.count < Self.halfOpen, refused < Self.halfOpen {
                do {
                    let connection = try EdgeConnection(port: port, from: "127.0.0.2")
                    try connection.send(partial)
                    held.append(connection)
                } catch {
                    refused += 1
                }
            }
            live = held.filter { !$0.peerHasEnded }.count
            return live > Self.formerCapacity || refused >= Self.halfOpen
        }

        // While they are held: ScanCode from 127.0.0.1, each on a connection of its own.
        var answered = 0
        for _ in 0..<20 {
            let client = try StackClient()
            let billnum = ScanCodeBillNumbers.next("edgesp")
            let reply = try client.scanCode(ScanCodeBill.valid(billnum).json(), contentType: "application/json")
            let envelope = try ScanCodeEnvelope.parse(reply)
            XCTAssertEqual(envelope.errcode, 0, "ScanCode while 127.0.0.2 holds its connections: \(reply.text)")
            XCTAssertEqual(envelope.billnum, billnum)
            if envelope.errcode == 0 { answered += 1 }
        }
        let stillHeld = held.filter { !$0.peerHasEnded }.count

        // nginx cuts them all once client_header_timeout has passed.
        var cut = 0
        try Poll.until("nginx cuts the half-open connections", seconds: timeout + 30) {
            cut = held.filter(\.peerHasEnded).count
            return cut == held.count
        }
        print("slow peer: \(Self.halfOpen) connections from 127.0.0.2, \(refused) refused at connect, \(live) held before and "
              + "\(stillHeld) after \(answered) ScanCodes from 127.0.0.1 answered errcode 0, \(cut) cut by nginx after client_header_timeout \(Int(timeout)) s")
        XCTAssertEqual(answered, 20)
        XCTAssertGreaterThan(live, Self.formerCapacity, "fewer half-open connections were held when ScanCode began than nginx used to hold at most")
    }

    /// The responder's listen queue is sized for its workers (16 each, at least 128): the running responder's
    /// socket shows it (`ss`: the queue limit of a listening socket is its Send-Q).
    func testTheRespondersListenQueueIsSizedForItsWorkers() throws {
        XCTAssertEqual(FastCGIServer.listenBacklog(workers: 1), 128)
        XCTAssertEqual(FastCGIServer.listenBacklog(workers: 64), 1024)
        XCTAssertEqual(FastCGIServer.listenBacklog(workers: 300), 4800)
        let pid = try XCTUnwrap(FaultStack.responderPID(), "the stack's responder is not running")
        let workers = Int(try FaultStack.launch(of: pid).environment["THREEPAY_WORKERS"] ?? "64") ?? 64
        let socket = TestStack.stateDir + "/threepay.sock"
        let outcome = try TestCommand.run("/usr/bin/env", ["ss", "-xlnH"], TestStack.environment)
        let line = try XCTUnwrap(outcome.output.components(separatedBy: "\n").first { $0.contains(socket + " ") }, outcome.output)
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        // Netid State Recv-Q Send-Q Local-Address …
        let somaxconn = Int((try? String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 4096
        XCTAssertEqual(Int(columns[3]), min(Int(FastCGIServer.listenBacklog(workers: workers)), somaxconn), line)
    }

    /// The snippet's client_header_timeout in seconds (`10s`).
    private static func shippedHeaderTimeout() throws -> TimeInterval {
        let values = EdgeFiles.arguments(of: "client_header_timeout", in: try EdgeFiles.snippet)
        guard values.count == 1, values[0].hasSuffix("s"), let seconds = TimeInterval(values[0].dropLast()) else {
            throw TestFailure("the snippet's client_header_timeout is not `<n>s`: \(values)")
        }
        return seconds
    }

    /// This process needs a descriptor per held connection.
    private static func raiseOpenFileLimit(to wanted: Int) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur < rlim_t(wanted) else { return }
        if limit.rlim_max < rlim_t(wanted) {
            var raised = rlimit(rlim_cur: rlim_t(wanted), rlim_max: rlim_t(wanted))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return }
        }
        guard limit.rlim_max >= rlim_t(wanted) else {
            throw XCTSkip("RLIMIT_NOFILE allows \(limit.rlim_max) descriptors; the test holds \(wanted)")
        }
        limit.rlim_cur = rlim_t(wanted)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw TestFailure("setrlimit: errno \(errno)") }
    }
}
