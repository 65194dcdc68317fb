internal import CFastCGI
import Foundation

/// One worker's `FCGX_Request`: accepts a connection, reads the parameters and body, writes the answer.
///
/// Owned by exactly one worker thread for its whole life, so it is deliberately not Sendable.
final class FastCGIConnection {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(listenFD: Int32) {
        request = .allocate(capacity: 1)
        FCGX_InitRequest(request, listenFD, Int32(FCGI_FAIL_ACCEPT_ON_INTR))
    }

    /// A connection on a socket that is already connected, e.g. one end of a socketpair whose other end plays
    /// the web server: `accept()` reads the next request from it instead of accepting a new connection.
    init(connectedSocket fd: Int32) {
        FastCGILibrary.initialize()
        request = .allocate(capacity: 1)
        FCGX_InitRequest(request, -1, 0)
        // libfcgi reads from `ipcFd` when it is open; `keepConnection` keeps FCGX_Accept_r from closing it while
        // it finishes the (absent) previous request. The web server's BEGIN_REQUEST flags decide from then on.
        request.pointee.ipcFd = fd
        request.pointee.keepConnection = 1
    }

    /// Waits for the next request; false when accept failed or the server is shutting down.
    func accept() -> Bool {
        FCGX_Accept_r(request) >= 0
    }

    /// Reads the parameters and, unless it exceeds `maxBody`, the whole body.
    func readRequest(maxBody: Int) -> Request {
        let params = readParams()
        // nginx sends the bare number; anything else is read once more without the blanks around it.
        let declared = params["CONTENT_LENGTH"].flatMap { Int($0) ?? Int($0.trimmingCharacters(in: .whitespaces)) }
        if let declared, declared > maxBody {
            return Request(params: params, body: [], bodyTooLarge: true)
        }
        let limit = declared ?? (maxBody + 1)
        var body = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let read = body.withUnsafeMutableBufferPointer { buffer in
                FCGX_GetStr(
                    UnsafeMutableRawPointer(buffer.baseAddress! + filled).assumingMemoryBound(to: CChar.self),
                    Int32(limit - filled), request.pointee.in)
            }
            if read <= 0 { break }
            filled += Int(read)
        }
        body.removeSubrange(filled...)
        if declared == nil, filled > maxBody {
            return Request(params: params, body: [], bodyTooLarge: true)
        }
        return Request(params: params, body: body, bodyTooLarge: false)
    }

    private func readParams() -> [String: String] {
        var params: [String: String] = [:]
        guard var cursor = request.pointee.envp else { return params }
        while let entry = cursor.pointee {
            // NAME=value, split on the bytes: one String for each side, none for the whole entry.
            let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                params[String(decoding: bytes[..<equals], as: UTF8.self)] =
                    String(decoding: bytes[(equals + 1)...], as: UTF8.self)
            }
            cursor += 1
        }
        return params
    }

    /// Writes the CGI head and body. A client that went away is not an error worth more than a log line.
    func write(_ response: Response) {
        put(response.head())
        put(response.body)
    }

    private func put(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                _ = FCGX_PutStr(chars, Int32(buffer.count), request.pointee.out)
            }
        }
    }

    /// Flushes the answer and ends the request, closing nginx's connection.
    func finish() {
        FCGX_Finish_r(request)
    }

    /// Frees the request structure without closing the shared listening socket.
    func release() {
        FCGX_Free(request, 1)
        request.deallocate()
    }
}
