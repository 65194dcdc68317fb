import Alipay
import CurlClient

/// Carries Alipay calls over a libcurl handle (one kept-alive connection per worker thread).
public final class CurlTransport: AlipayTransport {
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func postForm(url: String, body: [UInt8], timeoutMilliseconds: Int) throws(AlipayTransportError)
        -> (status: Int, body: [UInt8])
    {
        do {
            let reply = try client.post(
                url: url, contentType: AlipayClient.formContentType, body: body,
                timeoutMilliseconds: timeoutMilliseconds)
            return (reply.status, reply.body)
        } catch {
            switch error {
            case .connectFailed(let message), .invalidURL(let message): throw .notSent(message)
            case .timeout(let message): throw .timeout(message)
            case .tls(let message), .transport(let message): throw .failed(message)
            }
        }
    }
}
