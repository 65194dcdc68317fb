import ContentNegotiation
import Foundation
import PaymentModel
import TestSupport
import XCTest

/// One HTTP exchange written and read byte for byte over a plain TCP socket, so that a test can send what
/// no HTTP library sends (a broken request line, TRACE, a header of 9 KB, half a request) from the loopback
/// address it chooses (127.0.0.2 is another client than 127.0.0.1 to nginx).
final class EdgeConnection {
    enum Ending: Equatable { case closed, reset, open }

    let fd: Int32

    /// Connects to 127.0.0.1:`port`, from `source` when given.
    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket(): errno \(errno)") }
        do {
            if let source { try EdgeConnection.bind(fd, to: source) }
            var address = EdgeConnection.address("127.0.0.1", port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw TestFailure("connect to port \(port) from \(source ?? "127.0.0.1"): errno \(errno)") }
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    private static func bind(_ fd: Int32, to host: String) throws {
        var address = EdgeConnection.address(host, port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind to \(host): errno \(errno)") }
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw TestFailure("send: errno \(errno) after \(sent) of \(bytes.count) bytes") }
            sent += count
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads until the peer closes or resets the connection, or `seconds` pass without it.
    func readToEnd(seconds: TimeInterval) -> (bytes: [UInt8], ending: Ending) {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (bytes, .open) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 {
                return (bytes, .closed)
            } else if errno != EINTR {
                return (bytes, .reset)
            }
        }
    }

    /// Whether the peer has closed or reset the connection, without waiting.
    var peerHasEnded: Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let count = Glibc.recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)
    }

    /// Sends `request` and reads the whole answer (the request should say `Connection: close`).
    static func exchange(_ request: [UInt8], port: Int, from source: String? = nil, seconds: TimeInterval = 30) throws -> EdgeReply {
        let connection = try EdgeConnection(port: port, from: source)
        try connection.send(request)
        let (bytes, _) = connection.readToEnd(seconds: seconds)
        return try EdgeReply(parsing: bytes)
    }
}

/// An HTTP answer as it came over the wire.
struct EdgeReply: CustomStringConvertible {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    init(parsing bytes: [UInt8]) throws {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        if bytes.count >= separator.count {
            headEnd = (0...(bytes.count - separator.count)).first { bytes[$0..<($0 + separator.count)].elementsEqual(separator) }
        }
        guard let end = headEnd else {
            throw TestFailure("no complete HTTP answer: \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = lines[0].split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { throw TestFailure("bad status line: \(lines[0])") }
        self.status = status
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        body = Array(bytes[(end + separator.count)...])
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
    var description: String { "HTTP \(status) [\(header("Content-Type") ?? "no Content-Type")] \(text.prefix(300))" }
}

/// A request as text: the request line, `Host` and `Connection: close`, then `headers` in order.
func edgeRequest(_ method: String, _ target: String, host: String = "localhost", headers: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
    text += "Connection: close\r\n\r\n"
    return Array(text.utf8) + body
}

/// What ThreePay itself writes for a failure with `code` and its default message, tag null: the bytes nginx's
/// static envelopes must equal.
enum EdgeEnvelope {
    static func bytes(_ code: ErrorCode, xml: Bool) -> [UInt8] {
        bytes(code, format: xml ? .xml : .json)
    }

    static func bytes(_ code: ErrorCode, format: ResponseFormat) -> [UInt8] {
        UntypedEnvelope(error: ServiceError(code)).encoded(as: format)
    }

    /// The answer format a media type (`application/bson`, `text/xml`, …) stands for.
    static func format(of mediaType: String) -> ResponseFormat {
        mediaType.hasSuffix("/xml") ? .xml : mediaType.hasSuffix("/bson") ? .bson : .json
    }

    /// The answer is ThreePay's envelope for `code` with HTTP `status`, as `mediaType` (`application/json`,
    /// `text/xml`, …), with the headers ThreePay sends.
    static func assert(
        _ reply: EdgeReply, status: Int, code: ErrorCode, mediaType: String, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(reply.status, status, "\(what): \(reply)", file: file, line: line)
        XCTAssertEqual(reply.header("Content-Type"), "\(mediaType); charset=utf-8", "\(what): \(reply)", file: file, line: line)
        let expected = bytes(code, format: format(of: mediaType))
        XCTAssertEqual(reply.body, expected, "\(what): the body is not ThreePay's envelope: \(reply)", file: file, line: line)
        XCTAssertEqual(reply.header("X-ThreePay-Errcode"), String(code.rawValue), what, file: file, line: line)
        XCTAssertEqual(reply.header("Cache-Control"), "no-cache", what, file: file, line: line)
        XCTAssertEqual(reply.header("Pragma"), "no-cache", what, file: file, line: line)
        XCTAssertEqual(reply.header("Expires"), "-1", what, file: file, line: line)
    }
}

/// The shipped nginx files (nginx/) as text, rendered the way an operator installs them.
enum EdgeFiles {
    static let folder = TestStack.packageRoot.appendingPathComponent("nginx")
    static var snippet: String { get throws { try String(contentsOf: folder.appendingPathComponent("threepay-location.conf"), encoding: .utf8) } }
    static var httpPart: String { get throws { try String(contentsOf: folder.appendingPathComponent("threepay-http.conf"), encoding: .utf8) } }
    static var errorsFolder: String { folder.appendingPathComponent("errors").path }

    /// The arguments of every `directive …;` line (comments left out).
    static func arguments(of directive: String, in text: String) -> [String] {
        text.components(separatedBy: "\n").compactMap { line in
            let words = line.trimmingCharacters(in: .whitespaces)
            guard words.hasPrefix(directive + " ") || words.hasPrefix(directive + "\t"), words.hasSuffix(";") else { return nil }
            return words.dropFirst(directive.count).dropLast().trimmingCharacters(in: .whitespaces)
        }
    }

    /// Sets the arguments of every `directive` line; throws when the text has none (a test could otherwise
    /// pass on a configuration it did not change).
    static func setting(_ directive: String, to arguments: String, in text: String) throws -> String {
        let pattern = "(?m)^([ \\t]*)\(NSRegularExpression.escapedPattern(for: directive))[ \\t]+[^;\\n]*;"
        let expression = try NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        guard expression.numberOfMatches(in: text, range: range) > 0 else {
            throw TestFailure("the shipped file has no `\(directive)` line any more")
        }
        let template = "$1" + NSRegularExpression.escapedTemplate(for: "\(directive) \(arguments);")
        return expression.stringByReplacingMatches(in: text, range: range, withTemplate: template)
    }

    /// The snippet pointed at `socket` and at the repository's envelopes, with `settings` changed.
    static func renderedSnippet(socket: String, settings: [(String, String)] = []) throws -> String {
        var text = try snippet
        guard text.contains("unix:/run/threepay/threepay.sock;"), text.contains("/usr/share/threepay/nginx-errors/") else {
            throw TestFailure("the snippet's socket or envelope folder changed")
        }
        text = text.replacingOccurrences(of: "unix:/run/threepay/threepay.sock;", with: "unix:\(socket);")
        text = text.replacingOccurrences(of: "/usr/share/threepay/nginx-errors/", with: errorsFolder + "/")
        for (directive, arguments) in settings { text = try setting(directive, to: arguments, in: text) }
        return text
    }
}

/// A second nginx of the test's own, on the second test port: the stack's own configuration (nginx/dev.conf.in,
/// which includes the shipped http part and snippet) rendered into a folder of its own, with more `server`
/// blocks (chosen by the Host header) beside its server, each with its own upstream socket and settings.
final class EdgeNginx {
    struct Server {
        let name: String
        let socket: String
        var settings: [(String, String)] = []
        /// Lines added to the server block outside the snippet.
        var extraLines: [String] = []
    }

    let folder: String
    let port: Int
    private var running = false

    /// The second HTTP port of this test run: THREEPAY_TEST_SECOND_HTTP_PORT, else the stack's port + 10.
    static var secondPort: Int {
        if let text = TestStack.environment["THREEPAY_TEST_SECOND_HTTP_PORT"], let port = Int(text) { return port }
        let port = URL(string: TestStack.baseURL)?.port ?? 18080
        return port + 10
    }

    /// `main` is served by dev.conf.in's own server (the default for any other Host); `others` by servers of
    /// their own. The zone and map settings of the http part are changed by `httpSettings`.
    init(main: Server, others: [Server], httpSettings: [(String, String)] = []) throws {
        folder = TestStack.stateDir + "/edge-nginx"
        port = EdgeNginx.secondPort
        let files = FileManager.default
        try? files.removeItem(atPath: folder)
        for sub in ["logs", "nginx"] { try files.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true) }
        try files.copyItem(atPath: "/etc/nginx/fastcgi_params", toPath: folder + "/fastcgi_params")
        var httpPart = try EdgeFiles.httpPart
        for (directive, arguments) in httpSettings { httpPart = try EdgeFiles.setting(directive, to: arguments, in: httpPart) }
        try httpPart.write(toFile: folder + "/threepay-http.conf", atomically: true, encoding: .utf8)
        try EdgeFiles.renderedSnippet(socket: main.socket, settings: main.settings)
            .write(toFile: folder + "/threepay-location.conf", atomically: true, encoding: .utf8)

        var configuration = try String(contentsOf: EdgeFiles.folder.appendingPathComponent("dev.conf.in"), encoding: .utf8)
            .replacingOccurrences(of: "@STATE_DIR@", with: folder)
            .replacingOccurrences(of: "@HTTP_PORT@", with: String(port))
            // Workers started as root drop to `nobody` and could not reach the stack's sockets.
            .replacingOccurrences(of: "@USER_LINE@", with: getuid() == 0 ? "user root;" : "")
        var blocks = ""
        for server in others {
            try EdgeFiles.renderedSnippet(socket: server.socket, settings: server.settings)
                .write(toFile: folder + "/\(server.name).conf", atomically: true, encoding: .utf8)
            blocks += "    server {\n        listen 127.0.0.1:\(port);\n        server_name \(server.name);\n"
            blocks += server.extraLines.map { "        \($0)\n" }.joined()
            blocks += "        include \(folder)/\(server.name).conf;\n    }\n"
        }
        guard let end = configuration.lastIndex(of: "}") else { throw TestFailure("nginx/dev.conf.in has no http block") }
        configuration.insert(contentsOf: blocks, at: end)
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        let outcome = try TestCommand.run("/usr/bin/env", nginxArguments([]), TestStack.environment)
        guard outcome.status == 0 else { throw TestFailure("the test's nginx did not start on port \(port): \(outcome.output)") }
        running = true
    }

    private func nginxArguments(_ extra: [String]) -> [String] {
        ["nginx", "-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/nginx-error.log"] + extra
    }

    func stop() {
        guard running else { return }
        running = false
        _ = try? TestCommand.run("/usr/bin/env", nginxArguments(["-s", "stop"]), TestStack.environment)
        // The master removes its pid file last; the port is free for the next test after that.
        let deadline = Date().addingTimeInterval(10)
        while FileManager.default.fileExists(atPath: folder + "/nginx.pid"), Date() < deadline { usleep(20_000) }
    }

    deinit { stop() }

    func exchange(_ request: [UInt8], from source: String? = nil, seconds: TimeInterval = 30) throws -> EdgeReply {
        try EdgeConnection.exchange(request, port: port, from: source, seconds: seconds)
    }
}

/// A unix socket that accepts connections into its backlog and never answers: an upstream that hangs.
final class EdgeSilentSocket {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket(AF_UNIX): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw TestFailure("cannot listen on \(path): errno \(errno)")
        }
    }

    deinit {
        Glibc.close(fd)
        unlink(path)
    }
}
