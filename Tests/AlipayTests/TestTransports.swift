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

    func postForm(url: String, body: [UInt8], timeoutMilliseconds: Int) throws(AlipayTransportError)
        -> (status: Int, body: [UInt8])
    {
        sent.append((url, body))
        let reply = replies.count > 1 ? replies.removeFirst() : replies[0]
        return try reply.get()
    }

    /// The last request body as text.
    var lastBody: String {
        sent.last.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
    }
}
