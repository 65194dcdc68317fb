import Foundation
import TestSupport

/// FastCGI records as a web server writes and reads them (the FastCGI 1.0 specification): the tests play nginx's
/// part on one end of a socket.
enum FastCGIRecords {
    static let beginRequest: UInt8 = 1
    static let endRequest: UInt8 = 3
    static let params: UInt8 = 4
    static let stdin: UInt8 = 5
    static let stdout: UInt8 = 6
    static let stderr: UInt8 = 7
    static let responderRole: UInt16 = 1
    static let keepConnection: UInt8 = 1

    /// One record: version 1, type, request id, content length, padding length, a reserved byte, the content,
    /// then `padding` zero bytes.
    static func record(_ type: UInt8, id: UInt16, _ content: [UInt8], padding: Int = 0) -> [UInt8] {
        precondition(content.count <= 0xFFFF && padding <= 0xFF)
        return [1, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF),
                UInt8(padding), 0] + content + [UInt8](repeating: 0, count: padding)
    }

    static func begin(id: UInt16, keepConnection: Bool = false) -> [UInt8] {
        record(beginRequest, id: id, [0, UInt8(responderRole), keepConnection ? Self.keepConnection : 0, 0, 0, 0, 0, 0])
    }

    /// A name-value pair: each length in one byte below 128, else in four bytes with the high bit set.
    static func pair(_ name: String, _ value: String) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)]
                : [UInt8((count >> 24) & 0x7F) | 0x80, UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        }
        return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
    }

    /// A whole stream (PARAMS or STDIN): `bytes` cut into records of at most `chunk` bytes (with some padding),
    /// then the empty record that ends the stream.
    static func stream(_ type: UInt8, id: UInt16, _ bytes: [UInt8], chunk: Int = 0xFFFF) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            out += record(type, id: id, Array(bytes[start..<end]), padding: (8 - (end - start) % 8) % 8)
            start = end
        }
        return out + record(type, id: id, [])
    }

    /// A whole request: BEGIN_REQUEST, the parameters, the body.
    static func request(
        id: UInt16 = 1, keepConnection: Bool = false, params: [(String, String)], body: [UInt8] = [],
        paramsChunk: Int = 0xFFFF, bodyChunk: Int = 0xFFFF
    ) -> [UInt8] {
        begin(id: id, keepConnection: keepConnection)
            + stream(Self.params, id: id, params.flatMap { pair($0.0, $0.1) }, chunk: paramsChunk)
            + stream(stdin, id: id, body, chunk: bodyChunk)
    }

    /// What the application wrote back, read from the records.
    struct Reply: Equatable {
        /// The STDOUT stream of each request id, in the order written.
        var stdout: [UInt16: [UInt8]] = [:]
        var stderr: [UInt16: [UInt8]] = [:]
        /// How many STDOUT records carried content, per request id.
        var stdoutRecords: [UInt16: Int] = [:]
        /// END_REQUEST of each request id: the application status and the protocol status.
        var ended: [UInt16: (appStatus: UInt32, protocolStatus: UInt8)] = [:]
        /// Request ids in the order their END_REQUEST came.
        var endOrder: [UInt16] = []

        static func == (left: Reply, right: Reply) -> Bool {
            left.stdout == right.stdout && left.stderr == right.stderr && left.endOrder == right.endOrder
        }
    }

    /// Reads `bytes` as a sequence of records; throws on a truncated or malformed one.
    static func parse(_ bytes: [UInt8]) throws -> Reply {
        var reply = Reply()
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 8, bytes[index] == 1 else { throw Malformed(offset: index) }
            let type = bytes[index + 1]
            let id = UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3])
            let length = Int(bytes[index + 4]) << 8 | Int(bytes[index + 5])
            let padding = Int(bytes[index + 6])
            guard bytes.count - index >= 8 + length + padding else { throw Malformed(offset: index) }
            let content = Array(bytes[(index + 8)..<(index + 8 + length)])
            switch type {
            case stdout:
                reply.stdout[id, default: []] += content
                if !content.isEmpty { reply.stdoutRecords[id, default: 0] += 1 }
            case stderr:
                reply.stderr[id, default: []] += content
            case endRequest:
                guard content.count == 8 else { throw Malformed(offset: index) }
                let status = content[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                reply.ended[id] = (status, content[4])
                reply.endOrder.append(id)
            default:
                throw Malformed(offset: index)
            }
            index += 8 + length + padding
        }
        return reply
    }

    struct Malformed: Error {
        let offset: Int
    }
}

/// The web server's end of a connected socket.
enum WebEnd {
    /// Sends all of `bytes`. MSG_NOSIGNAL: a responder that closed early fails the send instead of killing the
    /// test process with SIGPIPE.
    static func send(_ bytes: [UInt8], to fd: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestFailure("send: errno \(errno)") }
            offset += sent
        }
    }

    /// The next bytes the responder wrote; empty once it has closed its end.
    static func receive(from fd: Int32) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw TestFailure("read: errno \(errno)") }
        return Array(buffer[0..<count])
    }

    /// Everything the responder writes until it closes its end.
    static func receiveAll(from fd: Int32) throws -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let more = try receive(from: fd)
            if more.isEmpty { return all }
            all += more
        }
    }
}
