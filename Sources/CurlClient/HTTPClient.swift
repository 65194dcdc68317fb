internal import CCurl
internal import CCurlShims

/// A blocking HTTP/1.1 client over one reused libcurl easy handle (connections are kept alive).
///
/// Not Sendable: each worker thread builds its own client and uses it from that thread only.
/// There is no global lock: curl's process-wide initialisation runs once through `globalInit()`,
/// and every other piece of state lives in the handle. Signals are disabled (`CURLOPT_NOSIGNAL`)
/// because timeouts must not use `SIGALRM` in a multi-threaded process. TLS peer and host
/// verification are on unless `verifyTLS` is false.
public final class HTTPClient {
    /// The largest response body accepted; larger replies fail with `.transport`.
    public static let maximumResponseBytes = 8 * 1024 * 1024

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let connectTimeoutMilliseconds: Int
    private let totalTimeoutMilliseconds: Int
    private let verifyTLS: Bool
    private let caFile: String?

    /// Initialises libcurl for the process exactly once; safe to call from any thread, any number
    /// of times. Call it at startup before worker threads exist (libcurl's own rule); `init` calls it too.
    public static func globalInit() throws(HTTPClientError) {
        let code = threepay_curl_global_init()
        guard code == CURLE_OK else { throw .transport("curl_global_init: \(CurlCodeMapping.text(code))") }
    }

    /// - Parameters:
    ///   - connectTimeoutMilliseconds: limit for DNS + TCP + TLS connection setup.
    ///   - totalTimeoutMilliseconds: limit for the whole exchange, connection included.
    ///   - verifyTLS: verify the server certificate and host name (keep true outside local tests).
    ///   - caFile: a PEM bundle of trusted CAs instead of the system store.
    public init(connectTimeoutMilliseconds: Int = 3000, totalTimeoutMilliseconds: Int = 15000,
                verifyTLS: Bool = true, caFile: String? = nil) throws(HTTPClientError) {
        try Self.globalInit()
        guard let handle = curl_easy_init() else { throw .transport("curl_easy_init failed") }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
        self.verifyTLS = verifyTLS
        self.caFile = caFile
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// POSTs `body` with the given content type and extra headers; returns any HTTP status as a reply.
    /// `timeoutMilliseconds`, when given, shortens this exchange's limits (never lengthens them).
    public func post(url: String, contentType: String, body: [UInt8], headers: [(String, String)] = [],
                     timeoutMilliseconds: Int? = nil) throws(HTTPClientError) -> HTTPReply {
        let headerList = try HeaderList([("Content-Type", contentType), ("Expect", "")] + headers)
        // The list must outlive curl_easy_perform, not just the configure closure.
        defer { withExtendedLifetime(headerList) {} }
        return try perform(url: url, timeoutMilliseconds: timeoutMilliseconds) { () throws(HTTPClientError) in
            try set(CURLOPT_POST, 1)
            try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
            // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
            let bytes = body.isEmpty ? [0] : body
            let code = bytes.withUnsafeBytes { raw in
                threepay_curl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
            }
            try check(code, "CURLOPT_COPYPOSTFIELDS")
            try check(threepay_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList.head)),
                      "CURLOPT_HTTPHEADER")
        }
    }

    /// GETs `url`; returns any HTTP status as a reply.
    public func get(url: String, timeoutMilliseconds: Int? = nil) throws(HTTPClientError) -> HTTPReply {
        try perform(url: url, timeoutMilliseconds: timeoutMilliseconds) { () throws(HTTPClientError) in
            try set(CURLOPT_HTTPGET, 1)
        }
    }

    /// Resets the handle (keeping its connection cache), applies the options, runs the transfer.
    private func perform(url: String, timeoutMilliseconds: Int?, configure: () throws(HTTPClientError) -> Void)
        throws(HTTPClientError) -> HTTPReply
    {
        curl_easy_reset(handle)
        let collector = ReplyCollector(limit: Self.maximumResponseBytes)
        // curl reads 0 as "no limit": a spent budget still gets a 1 ms limit, never an unlimited wait.
        let total = max(1, min(totalTimeoutMilliseconds, timeoutMilliseconds ?? Int.max))
        let connect = max(1, min(connectTimeoutMilliseconds, total))
        let code: CURLcode = try withExtendedLifetime(collector) { () throws(HTTPClientError) -> CURLcode in
            try applyCommonOptions(url: url, collector: collector, connectTimeout: connect, totalTimeout: total)
            try configure()
            errorBuffer[0] = 0
            let result = curl_easy_perform(handle)
            // The header list and collector die after this call; drop curl's pointers to them.
            _ = threepay_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, nil)
            _ = threepay_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, nil)
            _ = threepay_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, nil)
            return result
        }
        guard code == CURLE_OK else {
            if collector.overflowed {
                throw .transport("response body larger than \(Self.maximumResponseBytes) bytes")
            }
            throw CurlCodeMapping.error(for: code, message: lastMessage(code))
        }
        var status = 0
        try check(threepay_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        return HTTPReply(status: status, headers: collector.headers, body: collector.body)
    }

    private func applyCommonOptions(url: String, collector: ReplyCollector, connectTimeout: Int, totalTimeout: Int)
        throws(HTTPClientError)
    {
        try set(CURLOPT_URL, url)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, connectTimeout)
        try set(CURLOPT_TIMEOUT_MS, totalTimeout)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_SSL_VERIFYPEER, verifyTLS ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, verifyTLS ? 2 : 0)
        if let caFile { try set(CURLOPT_CAINFO, caFile) }
        try set(CURLOPT_USERAGENT, "ThreePay/1.0")
        try check(threepay_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        let user = Unmanaged.passUnretained(collector).toOpaque()
        try check(threepay_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let collector = Unmanaged<ReplyCollector>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            return collector.appendBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }, "CURLOPT_WRITEFUNCTION")
        try check(threepay_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, user), "CURLOPT_WRITEDATA")
        try check(threepay_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let collector = Unmanaged<ReplyCollector>.fromOpaque(user).takeUnretainedValue()
            collector.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, "CURLOPT_HEADERFUNCTION")
        try check(threepay_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, user), "CURLOPT_HEADERDATA")
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(threepay_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, offset value: curl_off_t) throws(HTTPClientError) {
        try check(threepay_curl_setopt_off(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        // String options are copied by libcurl, so a temporary C string is enough.
        let code = value.withCString { threepay_curl_setopt_str(handle, option, $0) }
        if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
            throw CurlCodeMapping.error(for: code, message: CurlCodeMapping.text(code))
        }
        try check(code, "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws(HTTPClientError) {
        guard code == CURLE_OK else { throw .transport("\(what): \(CurlCodeMapping.text(code))") }
    }

    private func lastMessage(_ code: CURLcode) -> String {
        let detailed = String(cString: errorBuffer)
        return detailed.isEmpty ? CurlCodeMapping.text(code) : detailed
    }
}

@available(*, unavailable)
extension HTTPClient: Sendable {}
