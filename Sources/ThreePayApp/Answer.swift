import ContentNegotiation
import FastCGI
import PaymentModel

/// Builds HTTP answers in the format the client negotiated (JSON, DataContract XML or BSON), with the
/// headers the original service sent.
struct Answer {
    let format: NegotiatedFormat

    init(for request: Request) {
        format = ContentNegotiator.negotiate(
            accept: request.header("accept"), contentType: request.header("content-type"),
            xRequestedWith: request.header("x-requested-with"))
    }

    func envelope<Tag: EnvelopeTag>(_ envelope: Envelope<Tag>, status: Int = 200) -> Response {
        Response(
            status: status,
            headers: [
                ("Content-Type", format.contentType),
                ("Cache-Control", "no-cache"),
                ("Pragma", "no-cache"),
                ("Expires", "-1"),
                ("X-ThreePay-Errcode", String(envelope.errcode)),
            ],
            body: encode(envelope, as: format.format))
    }

    /// A failure with the tag the endpoint would carry (nil where nothing is known).
    func failure<Tag: EnvelopeTag>(_ error: ServiceError, tag: Tag?) -> Response {
        var envelope = Envelope<Tag>(error: error)
        envelope.tag = tag
        return self.envelope(envelope, status: error.httpStatus)
    }

    /// A failure of an endpoint-independent kind (404, 405, 413 before routing), tag null.
    func failure(_ error: ServiceError) -> Response {
        envelope(UntypedEnvelope(error: error), status: error.httpStatus)
    }
}
