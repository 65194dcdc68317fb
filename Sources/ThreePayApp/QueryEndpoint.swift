import Alipay
import CivilTime
import ContentNegotiation
import FastCGI
import PaymentModel
import PaymentStore

/// Which bill a Query or Cancel request is about: its autoid, or its billtype and billnum.
enum BillLookup {
    case autoid(Int64)
    case bill(billtype: String, billnum: String)

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
        let fields: DecodedFields
        switch decoded {
        case .success(let value): fields = value
        case .failure(let error): return .failure(error)
        }
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

    var tag: PayQueryResult {
        switch self {
        case .autoid(let autoid): PayQueryResult(billnum: nil, billtype: nil, autoid: String(autoid))
        case .bill(let billtype, let billnum): PayQueryResult(billnum: billnum, billtype: billtype)
        }
    }
}

extension Worker {
    /// `POST|GET api/3Pay/AliPay/Query`: the bill's payment status. While the record is not final,
    /// Alipay is asked (`alipay.trade.query`) and what it says is recorded first.
    func query(_ request: Request) -> Response {
        let answer = Answer(for: request)
        let record: PaymentRecord
        switch lookUpRecord(request, answer) {
        case .found(let found): record = found
        case .answered(let response): return response
        }
        switch refresh(record) {
        case .success(let current):
            return answer.envelope(Envelope.success(PayQueryResult(record: current)))
        case .failure(let failure):
            return answer.failure(failure.error, tag: PayQueryResult(record: record))
        }
    }

    enum RecordLookup {
        case found(PaymentRecord)
        /// The request named no valid bill, or there is none, or the store failed: this is the answer.
        case answered(Response)
    }

    /// Reads which bill a Query or Cancel request is about and finds its record.
    func lookUpRecord(_ request: Request, _ answer: Answer) -> RecordLookup {
        switch BillLookup.read(request, maxBody: services.configuration.maxBody) {
        case .failure(let error):
            return .answered(answer.failure(error, tag: PayQueryResult?.none))
        case .success(let lookup):
            switch find(lookup) {
            case .success(let record): return .found(record)
            case .failure(let failure): return .answered(answer.failure(failure.error, tag: lookup.tag))
            }
        }
    }

    func find(_ lookup: BillLookup) -> Result<PaymentRecord, IssueFailure> {
        do {
            let found: PaymentRecord?
            switch lookup {
            case .autoid(let autoid): found = try store().find(autoid: autoid)
            case .bill(let billtype, let billnum): found = try store().find(billtype: billtype, billnum: billnum)
            }
            guard let found else { return .failure(IssueFailure(error: .recordNotFound, autoid: nil)) }
            return .success(found)
        } catch {
            return .failure(storeFailure(error, autoid: nil))
        }
    }

    /// Asks Alipay about a record that is not final yet and records the answer (paid or closed).
    func refresh(_ record: PaymentRecord, source: PaymentSource = .query) -> Result<PaymentRecord, IssueFailure> {
        guard record.status.isPayable else { return .success(record) }
        let result: TradeQueryResult
        do {
            result = try alipay.query(.outTradeNo(record.outTradeNo))
        } catch {
            if case .business(_, _, let subCode, _) = error, subCode == "ACQ.TRADE_NOT_EXIST" {
                return .success(record)  // not scanned yet: still waiting
            }
            return .failure(gatewayQueryFailure(error, autoid: record.autoid))
        }
        do {
            if result.tradeStatus.isPaid, let tradeNo = result.tradeNo, let amount = result.totalAmount {
                _ = try store().recordPaid(
                    outTradeNo: record.outTradeNo, tradeNo: tradeNo, totalAmount: amount,
                    paidAt: result.sendPayDate.flatMap(CivilTimeText.china.parse), buyerID: result.buyerUserID,
                    source: source)
            } else if result.tradeStatus == .closed {
                _ = try store().recordClosed(autoid: record.autoid)
            } else {
                return .success(record)
            }
            return .success(try store().find(autoid: record.autoid) ?? record)
        } catch {
            return .failure(storeFailure(error, autoid: record.autoid))
        }
    }

    func gatewayQueryFailure(_ error: AlipayError, autoid: Int64) -> IssueFailure {
        switch error {
        case .business(let code, _, let subCode, let subMsg), .unsignedBusiness(let code, _, let subCode, let subMsg):
            return IssueFailure(
                error: .gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                detail: error.description)
        case .invalidSignature, .missingSignature:
            return IssueFailure(error: .gatewaySignatureInvalid, autoid: autoid, detail: error.description)
        case .malformedResponse:
            return IssueFailure(error: .gatewayAnswerMalformed, autoid: autoid, detail: error.description)
        case .outcomeUnknown, .invalidRequest:
            return IssueFailure(
                error: ServiceError(
                    .gatewayOutcomeUnknown,
                    message: "Alipay could not be asked about this payment just now; ask again shortly."),
                autoid: autoid, detail: error.description)
        }
    }
}
