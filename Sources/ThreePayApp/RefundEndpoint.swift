import ContentNegotiation
import FastCGI
import PaymentFlow
import PaymentModel

/// The tag of the Refund answer: `status` is `refunded`, `pending` (the outcome is not known yet: send the same
/// refundno again) or `failed` (Alipay refused it; the refundno is spent).
struct PayRefundResult: EnvelopeTag {
    static let xmlRootName = "CommonOperationResultWithTagOfPayRefundResultKp9g8rEY"
    static let contractNamespace = PayScanCodeResult.contractNamespace

    var billnum: String?
    var billtype: String?
    var autoid: String?
    var refundno: String?
    var refundvalue: String?
    var refundedtotal: String?
    var status: String?

    var members: [TagMember] {
        [
            TagMember("billnum", billnum), TagMember("billtype", billtype), TagMember("autoid", autoid),
            TagMember("refundno", refundno), TagMember("refundvalue", refundvalue),
            TagMember("refundedtotal", refundedtotal), TagMember("status", status),
        ]
    }

    init(refund: RefundRecord) {
        billnum = refund.billnum
        billtype = refund.billtype
        autoid = String(refund.autoid)
        refundno = refund.refundno
        refundvalue = refund.amount.description
        refundedtotal = refund.refundedTotal.description
        status = switch refund.status {
        case .refunded: "refunded"
        case .failed: "failed"
        case .requested, .pending: "pending"
        }
    }

    /// What the request named, before any refund exists.
    init(lookup: BillLookup, terms: RefundTerms?) {
        let tag = lookup.tag
        billnum = tag.billnum
        billtype = tag.billtype
        autoid = tag.autoid
        refundno = terms?.refundno
        refundvalue = terms?.amount.description
    }
}

extension Worker {
    /// `POST api/3Pay/AliPay/Refund`: refunds part or all of a paid bill, once per refundno.
    func refund(_ request: Request, _ deadline: Deadline) -> Response {
        let answer = Answer(for: request)
        let fields: DecodedFields
        switch RequestBodyDecoder.decode(
            contentType: request.header("content-type"), body: request.body, schema: RefundContract.schema,
            limits: DecodingLimits(maxBodyBytes: services.configuration.maxBody))
        {
        case .success(let decoded): fields = decoded
        case .failure(let error): return answer.failure(error, tag: PayRefundResult?.none)
        }
        let lookup: BillLookup
        switch BillLookupRequest.lookup(from: fields) {
        case .success(let found): lookup = found
        case .failure(let error): return answer.failure(error, tag: PayRefundResult?.none)
        }
        let terms: RefundTerms
        switch RefundValidator.validate(RefundFields(decoded: fields)) {
        case .success(let valid): terms = valid
        case .failure(let error): return answer.failure(error, tag: PayRefundResult(lookup: lookup, terms: nil))
        }
        let refund = RefundRequest(lookup: lookup, refundno: terms.refundno, amount: terms.amount, reason: terms.reason)
        switch flow.refund(refund, requestID: request.header("x-request-id"), deadline: deadline) {
        case .success(let done):
            return answer.envelope(Envelope.success(PayRefundResult(refund: done)))
        case .failure(let failure):
            log(failure, in: "Refund")
            let tag = failure.refund.map(PayRefundResult.init(refund:)) ?? PayRefundResult(lookup: lookup, terms: terms)
            return answer.failure(failure.error, tag: tag)
        }
    }
}

