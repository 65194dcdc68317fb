import FastCGI

/// Maps FastCGI requests to the gateway and the control API, and their replies back to FastCGI responses.
public final class SandboxRouter: Sendable {
    public let gateway: GatewayEndpoint
    /// Nil when `THREEPAY_SANDBOX_CONTROL` is not 1: `/sandbox/` then answers 404 like any unknown path.
    public let control: ControlAPI?

    public init(gateway: GatewayEndpoint, control: ControlAPI?) {
        self.gateway = gateway
        self.control = control
    }

    public func handle(_ request: Request) -> Response {
        guard !request.bodyTooLarge else { return Response.text("request body too large", status: 413) }
        let exchange = SandboxRequest(method: request.method, path: request.path, query: request.query,
                                      contentType: request.header("Content-Type"), body: request.body,
                                      threePayHeaders: request.headers.filter { $0.key.hasPrefix("x-threepay-") })
        if request.path == "/gateway.do" {
            guard request.method == "POST" || request.method == "GET" else {
                return Response.text("method not allowed", status: 405)
            }
            return response(gateway.handle(exchange))
        }
        if let control, request.path == "/sandbox" || request.path.hasPrefix("/sandbox/") {
            return response(control.handle(exchange))
        }
        return Response.text("not found", status: 404)
    }

    private func response(_ reply: SandboxReply) -> Response {
        if reply.breakConnection {
            // FastCGI has no way to reset nginx's client connection. The nearest honest equivalent is an
            // upstream reply nginx cannot parse: a header name containing spaces makes nginx log
            // "upstream sent invalid header" and answer 502 itself, with no body from us.
            return Response(status: 200, headers: [("X Sandbox Fault", "reset")], body: [])
        }
        return Response(status: reply.status, headers: [("Content-Type", reply.contentType)], body: reply.body)
    }
}
