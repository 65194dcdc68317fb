import Foundation

/// `/gateway.do` with fault injection around the pure core: latency, proxy errors, broken replies,
/// hangs and bad or missing signatures, each applied to the book or not.
public final class GatewayEndpoint: Sendable {
    /// The content type Alipay's gateway answers with.
    public static let contentType = "text/html;charset=utf-8"

    public let core: SandboxGatewayCore
    public let faults: FaultPlan

    public init(core: SandboxGatewayCore, faults: FaultPlan) {
        self.core = core
        self.faults = faults
    }

    /// Answers one `/gateway.do` request (parameters from the query string and a form body).
    public func handle(_ request: SandboxRequest) -> SandboxReply {
        let decision = faults.nextDecision()
        faults.pause(milliseconds: decision.latencyMilliseconds)
        let params: [String: String]
        do {
            params = try Self.parameters(of: request)
        } catch {
            let refusal = GatewayError.invalid("isv.invalid-parameter", "参数无效: \(error)")
            return reply(core.render(.gatewayError(refusal)))
        }
        guard let failure = decision.failure else { return reply(core.handle(params: params)) }
        switch failure {
        case .none:
            return reply(core.handle(params: params))
        case .http502:
            if decision.applied { _ = core.answer(params: params, commit: true) }
            return SandboxReply(status: 502, contentType: "text/html", body: Array(Self.badGatewayPage.utf8))
        case .reset:
            if decision.applied { _ = core.answer(params: params, commit: true) }
            return SandboxReply(status: 502, contentType: "text/html", body: [], breakConnection: true)
        case .hang:
            let answer = core.answer(params: params, commit: decision.applied)
            faults.pause(milliseconds: decision.hangMilliseconds)
            return reply(core.render(answer))
        case .badSignature:
            return reply(core.render(core.answer(params: params, commit: decision.applied), signing: .corrupted))
        case .noSignature:
            return reply(core.render(core.answer(params: params, commit: decision.applied), signing: .omitted))
        }
    }

    /// Query-string and form-body parameters, each decoded once; a name given twice is refused.
    static func parameters(of request: SandboxRequest) throws(FormDecoding.Failure) -> [String: String] {
        var forms = [Array(request.query.utf8)]
        if request.hasFormBody && !request.hasJSONBody { forms.append(request.body) }
        return try FormDecoding.parameters(from: forms)
    }

    private func reply(_ result: (status: Int, body: [UInt8])) -> SandboxReply {
        SandboxReply(status: result.status, contentType: Self.contentType, body: result.body)
    }

    private static let badGatewayPage =
        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
}
