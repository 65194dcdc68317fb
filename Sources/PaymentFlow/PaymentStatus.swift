/// Where a payment record stands; stored as text in `T_3Pay_Offline_ReceiveMoney.status`.
///
/// INITIATED → QR_ISSUED | QR_FAILED | UNKNOWN; QR_ISSUED / UNKNOWN / INITIATED → PAID | CLOSED. PAID is
/// final. Full table: sql/README.md.
public enum PaymentStatus: String, Sendable, CaseIterable {
    case initiated = "INITIATED"
    case qrIssued = "QR_ISSUED"
    case qrFailed = "QR_FAILED"
    case unknown = "UNKNOWN"
    case paid = "PAID"
    case closed = "CLOSED"

    /// True while the buyer may still pay this record's out_trade_no.
    public var isPayable: Bool {
        self == .initiated || self == .qrIssued || self == .unknown
    }
}

/// How a payment became known: Alipay's notification, an explicit query, or the background sweeper.
public enum PaymentSource: String, Sendable, CaseIterable {
    case notify
    case query
    case sweep
}
