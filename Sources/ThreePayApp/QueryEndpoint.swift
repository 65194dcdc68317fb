import ContentNegotiation
import FastCGI
import PaymentFlow
import PaymentModel

/// Reading which bill a Query or Cancel request is about: its autoid, or its billtype and billnum.
enum BillLookupRequest {
    static let schema = RequestSchema(
        xmlRootName: "AliQueryParm", xmlNamespace: ScanCodeContract.xmlNamespace,
        memberNames: ["billnum", "billtype", "autoid"])

    /// Reads the lookup from the body (POST, any request format) or the query string (GET, form syntax), and
    /// checks it by `BillLookupRules` before anything is looked up.
    static func read(_ request: Request, maxBody: Int) -> Result<BillLookup, ServiceError> {
        let decoded: Result<DecodedFields, ServiceError>
        if request.method == "GET" || request.method == "HEAD" {
            decoded = RequestBodyDecoder.decodeQueryString(request.query, schema: schema)
        } else {
            decoded = RequestBodyDecoder.decode(
                contentType: request.header("content-type"), body: request.body, schema: schema,
                limits: DecodingLimits(maxBodyBytes: maxBody))
        }
        return decoded.flatMap(lookup(from:))
    }

    /// The bill named by decoded members, checked by `BillLookupRules`: `autoid`, or `billnum` + `billtype`.
    static func lookup(from fields: DecodedFields) -> Result<BillLookup, ServiceError> {
        BillLookupRules.validate(
            billnum: fields.string("billnum"), billtype: fields.string("billtype"), autoid: fields.string("autoid")
        ).map { key in
            switch key {
            case .autoid(let autoid): .autoid(autoid)
            case .bill(let billtype, let billnum): .bill(billtype: billtype.rawValue, billnum: billnum)
            }
        }
    }
}

extension BillLookup {
    /// What a request named, as a tag: the Refund answer echoes it before any refund exists.
    var tag: PayQueryResult {
        switch self {
        case .autoid(let autoid): PayQueryResult(billnum: nil, billtype: nil, autoid: String(autoid))
        case .bill(let billtype, let billnum): PayQueryResult(billnum: billnum, billtype: billtype)
        }
    }
}

extension Worker {
    /// `POST|GET api/3Pay/AliPay/Query`: the bill's payment status. While the record is not final, Alipay is
    /// asked and what it says is recorded first.
    func query(_ request: Request, _ deadline: Deadline) -> Response {
        withRecord(request, deadline) { record in flow.refresh(record, source: .query, deadline: deadline) }
    }

    /// `POST api/3Pay/AliPay/Cancel`: a cashier voids a bill's unpaid QR code. Voiding twice is harmless; a bill
    /// paid meanwhile is recorded as paid and answered 2001.
    func cancel(_ request: Request, _ deadline: Deadline) -> Response {
        withRecord(request, deadline) { record in flow.cancel(record, deadline: deadline) }
    }

    /// Reads which bill the request is about, finds its record, applies `rule`, and answers with the record.
    private func withRecord(
        _ request: Request, _ deadline: Deadline,
        _ rule: (PaymentRecord) -> Result<PaymentRecord, FlowFailure>
    ) -> Response {
        let answer = Answer(for: request)
        let lookup: BillLookup
        switch BillLookupRequest.read(request, maxBody: services.configuration.maxBody) {
        case .success(let read): lookup = read
        case .failure(let error): return answer.failure(error, tag: PayQueryResult?.none)
        }
        let record: PaymentRecord
        switch flow.find(lookup, deadline: deadline) {
        case .success(let found): record = found
        case .failure(let failure):
            // No record is known, so the answer names no bill: a null tag.
            log(failure, in: "lookup")
            return answer.failure(failure.error, tag: PayQueryResult?.none)
        }
        switch rule(record) {
        case .success(let current):
            return answer.envelope(Envelope.success(PayQueryResult(record: current)))
        case .failure(let failure):
            log(failure, in: "lookup")
            return answer.failure(failure.error, tag: PayQueryResult(record: failure.record ?? record))
        }
    }
}
