public import PaymentModel

/// A validated ScanCode request, ready for `Sp_3Pay_Offline_ReceiveMoney_Begin`.
public struct BeginInput: Sendable, Equatable {
    public var billnum: String
    public var billtype: String
    public var body: String
    public var paytype: String
    public var paymentvalue: Money
    public var detail: String?
    /// The client IP actually used (the service substitutes its default when the client sent none).
    public var clientip: String
    public var cardno: String?
    /// How long a QR code stays valid; also how long an INITIATED/UNKNOWN record may be resumed (1…7200).
    public var qrValiditySeconds: Int

    public init(
        billnum: String, billtype: String, body: String, paytype: String, paymentvalue: Money,
        detail: String? = nil, clientip: String, cardno: String? = nil, qrValiditySeconds: Int
    ) {
        self.billnum = billnum
        self.billtype = billtype
        self.body = body
        self.paytype = paytype
        self.paymentvalue = paymentvalue
        self.detail = detail
        self.clientip = clientip
        self.cardno = cardno
        self.qrValiditySeconds = qrValiditySeconds
    }
}

/// What Begin decided for a bill.
public enum BeginOutcome: Sendable, Equatable {
    /// A fresh INITIATED record: precreate its out_trade_no at Alipay, then record the result.
    case new(PaymentRecord)
    /// The bill's current payable record (same amount, not expired). QR_ISSUED: hand back its code;
    /// INITIATED/UNKNOWN: precreate the same out_trade_no again.
    case existing(PaymentRecord)
    /// The bill's current payable record differs (amount, or card for billtype 7) or has expired: close it at
    /// Alipay, `recordClosed(autoid:)`, then call `begin` again.
    case closeFirst(old: PaymentRecord)

    /// The record the outcome is about.
    public var record: PaymentRecord {
        switch self {
        case .new(let record), .existing(let record), .closeFirst(let record): return record
        }
    }
}
