import Alipay
import Foundation
import JSON
import RSASigning

/// Serialises gateway answers as Alipay does: the node text is built once, and exactly those bytes are signed.
public struct ResponseRenderer: Sendable {
    /// The sandbox's stand-in for Alipay's platform private key.
    public let alipayPrivateKey: RSAPrivateKey

    public init(alipayPrivateKey: RSAPrivateKey) {
        self.alipayPrivateKey = alipayPrivateKey
    }

    /// The JSON body for `answer`.
    public func body(for answer: GatewayAnswer, signing: ResponseSigning = .valid) throws -> [UInt8] {
        switch answer {
        case .gatewayError(let error):
            return Self.envelope(name: "error_response", node: JSONWriter.bytes(error.node), sign: nil)
        case .business(let method, let reply):
            let node = JSONWriter.bytes(reply.node)
            let name = Self.nodeName(forMethod: method)
            switch signing {
            case .valid:
                return Self.envelope(name: name, node: node, sign: try signature(over: node))
            case .corrupted:
                var signature = try alipayPrivateKey.sign(sha256: node)
                signature[signature.count / 2] ^= 0x5A
                return Self.envelope(name: name, node: node, sign: Data(signature).base64EncodedString())
            case .omitted:
                return Self.envelope(name: name, node: node, sign: nil)
            }
        }
    }

    /// Base64 RSA2 signature over `bytes` with the sandbox's Alipay key.
    public func signature(over bytes: [UInt8]) throws -> String {
        Data(try alipayPrivateKey.sign(sha256: bytes)).base64EncodedString()
    }

    /// `alipay.trade.precreate` → `alipay_trade_precreate_response`.
    public static func nodeName(forMethod method: String) -> String {
        method.replacingOccurrences(of: ".", with: "_") + "_response"
    }

    private static func envelope(name: String, node: [UInt8], sign: String?) -> [UInt8] {
        var out = Array("{\"\(name)\":".utf8)
        out += node
        // The base64 signature is written without escaping its '/' characters, as Alipay does.
        if let sign { out += Array(",\"sign\":\"\(sign)\"".utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
