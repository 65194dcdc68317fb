/// The ScanCode request body as received: every member optional and unvalidated.
///
/// Decoders fill this from JSON, XML, a form or BSON; `ScanCodeValidator` turns it into a `ScanCodeRequest`. The two
/// stay separate types on purpose: only the validator can make a `ScanCodeRequest`, so nothing past decoding (the
/// payment rules, the store) can ever see a bill that was not validated.
public struct ScanCodeFields: Sendable, Hashable {
    /// Member names in the order the contract declares them (the order validation reports in).
    public static let memberNames = ["billnum", "billtype", "body", "paytype", "paymentvalue", "detail", "clientip", "cardno"]

    public var billnum: String?
    public var billtype: String?
    public var body: String?
    public var paytype: String?
    public var paymentvalue: RawAmount?
    public var detail: String?
    public var clientip: String?
    public var cardno: String?

    public init(
        billnum: String? = nil, billtype: String? = nil, body: String? = nil, paytype: String? = nil,
        paymentvalue: RawAmount? = nil, detail: String? = nil, clientip: String? = nil, cardno: String? = nil
    ) {
        self.billnum = billnum
        self.billtype = billtype
        self.body = body
        self.paytype = paytype
        self.paymentvalue = paymentvalue
        self.detail = detail
        self.clientip = clientip
        self.cardno = cardno
    }
}
