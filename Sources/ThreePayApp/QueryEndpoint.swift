import ContentNegotiation
import FastCGI
import PaymentFlow
import PaymentModel

/// Reading which bill a Query or Cancel request is about: its autoid, or its billtype and billnum.
enum BillLookupRequest {
    static let schema = RequestSchema(
        xmlRootName: "AliQueryParm", xmlNamespace: ScanCodeContract.xmlNamespace,
        memberNames: ["billnum", "billtype", "autoid"])

    /// Reads the lookup from the body (POST) or the query string (GET, form syntax).
    static func read(_ request: Request, maxBody: Int) -> Result<BillLookup, ServiceError> {
        let decoded: Result<DecodedFields, ServiceError>
        if request.method == "GET" || request.method == "HEAD" {
            decoded = RequestBodyDecoder.decode(
                contentType: "application/x-www-form-urlencoded; charset=utf-8", body: Array(request.query.utf8),
                schema: schema)
        } else {
            decoded = RequestBodyDecoder.decode(
                contentType: request.header("content-type"), body: request.body, schema: schema,
                limits: DecodingLimits(maxBodyBytes: maxBody, maxDepth: 32))
        }
        return decoded.flatMap(lookup(from:))
    }

    /// The bill named by decoded members: `autoid`, or `billnum` + `billtype`.
    static func lookup(from fields: DecodedFields) -> Result<BillLookup, ServiceError> {
        if let text = fields.string("autoid")?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let autoid = Int64(text), autoid > 0 else {
                return .failure(invalid("The field autoid must be a positive whole number."))
            }
            return .success(.autoid(autoid))
        }
        let billnum = fields.string("billnum").flatMap { TextRules.isBlank($0) ? nil : $0 }
        let billtype = fields.string("billtype").flatMap { TextRules.isBlank($0) ? nil : $0 }
        guard let billnum else { return .failure(invalid("The billnum field is required (or give autoid).")) }
        guard let billtype, BillType(rawValue: billtype) != nil else {
            return .failure(invalid("The field billtype must be one of 1-7 (or give autoid)."))
        }
        return .success(.bill(billtype: billtype, billnum: billnum))
    }

    private static func invalid(_ message: String) -> ServiceError {
        ServiceError(.validationFailed, message: message)
    }
}

extension BillLookup {
    /// The tag of an answer about this lookup when no record was found.
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
            log(failure, in: "lookup")
            return answer.failure(failure.error, tag: lookup.tag)
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
