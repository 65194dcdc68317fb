/// Carries one form POST to the Alipay gateway. The app adapts its HTTP client to this; Alipay
/// itself does no I/O. One transport per worker thread, like the client that uses it.
public protocol AlipayTransport: AnyObject {
    /// POSTs `body` as `AlipayClient.formContentType` and returns the status and whole body of
    /// any HTTP answer; throws only when no complete answer arrived. The whole exchange takes at most
    /// `timeoutMilliseconds` (and never more than the transport's own limit).
    func postForm(url: String, body: [UInt8], timeoutMilliseconds: Int) throws(AlipayTransportError)
        -> (status: Int, body: [UInt8])
}

/// Why a transport produced no answer. Every case leaves the outcome of the call unknown.
public enum AlipayTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made; the request was not sent.
    case notSent(String)
    /// The exchange timed out; the request may have been processed.
    case timeout(String)
    /// Any other failure (TLS, reset connection …).
    case failed(String)

    public var description: String {
        switch self {
        case .notSent(let message): "not sent: \(message)"
        case .timeout(let message): "timeout: \(message)"
        case .failed(let message): "transport failure: \(message)"
        }
    }
}
