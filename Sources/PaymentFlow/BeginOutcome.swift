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
    /// Another request holds the bill's lease (it is issuing or voiding the bill's code): nothing changed; call
    /// `begin` again shortly. `current` is the bill's current record, if it has one.
    case busy(current: PaymentRecord?)
}
