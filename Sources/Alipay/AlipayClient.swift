import CivilTime
import Foundation
import JSON
public import PaymentModel
import RSASigning

/// Calls Alipay's OpenAPI: builds and signs the request, sends it through the transport,
/// verifies the reply's signature over the raw node bytes, and only then reads its fields.
///
/// Not Sendable: one client per worker thread, with that worker's transport.
public final class AlipayClient {
    /// The content type every request is sent with.
    public static let formContentType = "application/x-www-form-urlencoded;charset=utf-8"

    public let configuration: AlipayConfiguration
    private let transport: any AlipayTransport
    private let signer: AlipaySigner

    public init(configuration: AlipayConfiguration, transport: any AlipayTransport) {
        self.configuration = configuration
        self.transport = transport
        self.signer = AlipaySigner(privateKey: configuration.appPrivateKey)
    }

    /// The signed parameters for one call: common parameters, `biz_content`, `sign`.
    /// Empty values are never included.
    public func signedParameters(method: String, bizContent: [String: JSONNode]) throws(AlipayError) -> [String: String] {
        var params = [
            "app_id": configuration.appID,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": CivilTimeText.china.format(configuration.clock()),
            "version": "1.0",
            "biz_content": JSONNode.sortedObject(bizContent).compactText,
        ]
        params["notify_url"] = configuration.notifyURL
        params["app_auth_token"] = configuration.appAuthToken
        params = params.filter { !$0.value.isEmpty }
        do { params["sign"] = try signer.sign(params) } catch {
            throw .invalidRequest("signing failed: \(error)")
        }
        return params
    }

    /// Performs one call and returns the verified fields of a `10000` reply; throws `AlipayError`
    /// for everything else (see its documentation for how each case affects order state). The call is
    /// not sent once `deadline` has passed, and is abandoned (outcome unknown) when it comes.
    func call(method: String, bizContent: [String: JSONNode], deadline: Deadline) throws(AlipayError)
        -> AlipayReplyFields
    {
        let remaining = deadline.remainingMilliseconds
        guard remaining > 0 else { throw .notSent("\(method): the request's time ran out before the call") }
        let params = try signedParameters(method: method, bizContent: bizContent)
        let body = FormURLEncoding.encode(params.sorted { AlipayCanonical.byteOrder($0.key, $1.key) })
        let reply: (status: Int, body: [UInt8])
        do {
            reply = try transport.postForm(
                url: configuration.gatewayURL, body: Array(body.utf8), timeoutMilliseconds: remaining)
        } catch {
            switch error {
            case .timeout: throw .outcomeUnknown(.timeout, reason: "\(method): \(error)")
            case .notSent, .failed: throw .outcomeUnknown(.connection, reason: "\(method): \(error)")
            }
        }
        guard reply.status == 200 else {
            throw .outcomeUnknown(.httpStatus(reply.status), reason: "\(method): HTTP status \(reply.status)")
        }
        let node = try AlipayResponseExtractor.extract(body: reply.body, method: method)
        let signed = try verify(node)
        return try judge(AlipayReplyFields(node: node.bytes), signed: signed, method: method)
    }

    /// Verifies the node's signature; returns whether one was present. A bad signature throws.
    private func verify(_ node: AlipayResponseNode) throws(AlipayError) -> Bool {
        guard let sign = node.sign else { return false }
        guard let signature = Data(base64Encoded: sign),
              configuration.alipayPublicKey.verify(sha256: [UInt8](signature), message: node.bytes)
        else { throw .invalidSignature }
        return true
    }

    /// Turns the reply's `code` into success or the matching error.
    private func judge(_ fields: AlipayReplyFields, signed: Bool, method: String) throws(AlipayError) -> AlipayReplyFields {
        let code = try fields.required("code")
        let subCode = fields["sub_code"]
        if code == "10000" {
            guard signed else { throw .missingSignature }
            return fields
        }
        if code == "20000" || subCode == "ACQ.SYSTEM_ERROR" {
            throw .outcomeUnknown(.gatewayBusy, reason: "\(method): Alipay answered \(code) \(subCode ?? "")")
        }
        let msg = fields["msg"] ?? ""
        if signed {
            throw .business(code: code, msg: msg, subCode: subCode, subMsg: fields["sub_msg"])
        }
        throw .unsignedBusiness(code: code, msg: msg, subCode: subCode, subMsg: fields["sub_msg"])
    }
}

@available(*, unavailable)
extension AlipayClient: Sendable {}
