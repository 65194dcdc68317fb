import Alipay
import CurlClient
import Foundation

/// An AlipayTransport that records what was sent and answers from a script.
final class ScriptedTransport: AlipayTransport {
    private(set) var sent: [(url: String, body: [UInt8])] = []
    private var replies: [Result<(status: Int, body: [UInt8]), AlipayTransportError>]

    init(_ replies: [Result<(status: Int, body: [UInt8]), AlipayTransportError>]) {
        self.replies = replies
    }

    /// Answers every call with HTTP 200 and `body`.
    convenience init(answering body: String) {
        self.init([.success((200, Array(body.utf8)))])
    }

    func postForm(url: String, body: [UInt8]) throws(AlipayTransportError) -> (status: Int, body: [UInt8]) {
        sent.append((url, body))
        let reply = replies.count > 1 ? replies.removeFirst() : replies[0]
        return try reply.get()
    }

    /// The last request body as text.
    var lastBody: String {
        sent.last.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
    }
}

/// How the app plugs CurlClient into Alipay (Alipay itself does not import CurlClient).
final class CurlAlipayTransport: AlipayTransport {
    private let client: HTTPClient

    init(client: HTTPClient) {
        self.client = client
    }

    func postForm(url: String, body: [UInt8]) throws(AlipayTransportError) -> (status: Int, body: [UInt8]) {
        do {
            let reply = try client.post(url: url, contentType: AlipayClient.formContentType, body: body)
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
