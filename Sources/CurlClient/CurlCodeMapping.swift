internal import CCurl

/// Turns a failed `CURLcode` into the error kind callers act on.
enum CurlCodeMapping {
    private static let tlsCodes: Set<UInt32> = [
        CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
        CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
        CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
        CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_USE_SSL_FAILED,
        CURLE_SSL_CLIENTCERT,
    ].reduce(into: []) { $0.insert($1.rawValue) }

    /// - Parameters:
    ///   - code: the failing result of `curl_easy_perform`.
    ///   - message: curl's detailed message (error buffer), or its generic text when that is empty.
    static func error(for code: CURLcode, message: String) -> HTTPClientError {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            .timeout(message)
        // Resolution failures are grouped with refused connections: in both cases nothing was sent.
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            .connectFailed(message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            .invalidURL(message)
        case _ where tlsCodes.contains(code.rawValue):
            .tls(message)
        default:
            .transport(message)
        }
    }

    /// curl's generic text for a code.
    static func text(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }
}
