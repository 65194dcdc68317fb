import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (one thread, one connection at a time, keep-alive),
/// enough to drive HTTPClient in tests. Stop it with `stop()`.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        let requestLine: String
        let headers: [(String, String)]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8]
    }

    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply
    private let greeting: [UInt8]
    private let lock = NSLock()
    private var received: [Request] = []
    private var accepted = 0
    private var activeConnection: Int32 = -1
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameter greeting: bytes written as soon as a connection is accepted (to play a broken peer).
    init(greeting: [UInt8] = [], handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        self.greeting = greeting
        (listener, port) = try Self.listeningSocket(backlog: 8)
        Thread { [self] in serve() }.start()
    }

    var requests: [Request] {
        lock.withLock { received }
    }

    var connectionCount: Int {
        lock.withLock { accepted }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        lock.withLock { if activeConnection >= 0 { _ = shutdown(activeConnection, Int32(SHUT_RDWR)) } }
        finished.wait()
        close(listener)
    }

    /// A socket bound to an ephemeral loopback port; listening unless `backlog` is nil.
    static func listeningSocket(backlog: Int32?) throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound, backlog.map({ listen(fd, $0) == 0 }) ?? true else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { break }
            lock.withLock {
                accepted += 1
                activeConnection = connection
            }
            if !greeting.isEmpty {
                _ = greeting.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            while let request = Self.readRequest(connection) {
                lock.withLock { received.append(request) }
                Self.write(handler(request), to: connection)
            }
            lock.withLock { activeConnection = -1 }
            close(connection)
        }
        finished.signal()
    }

    private static func readRequest(_ connection: Int32) -> Request? {
        var data: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        var contentLength = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let end = headerEnd, data.count >= end + contentLength { break }
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            data += buffer[0..<count]
            if headerEnd == nil, let range = data.firstRange(of: separator) {
                headerEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                contentLength = head.split(separator: "\r\n").compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
            }
        }
        let end = headerEnd!
        let lines = String(decoding: data[..<(end - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Request(requestLine: lines[0], headers: headers, body: Array(data[end..<(end + contentLength)]))
    }

    private static func write(_ reply: Reply, to connection: Int32) {
        var head = "HTTP/1.1 \(reply.status) Test\r\nContent-Length: \(reply.body.count)\r\n"
        for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + reply.body
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
