public import Foundation
public import PaymentModel

/// Where payment records live. The flows state the payment rules in terms of these calls; `PaymentStore`
/// implements them with the DBA-owned stored procedures (one procedure, one transaction, per call), and the
/// unit tests with an in-memory book.
///
/// Every call is idempotent (repeating it after a lost answer gives the same end state) and gives up with
/// `.unavailable` once `deadline` has passed, retries included.
public protocol PaymentRecordStore: AnyObject {
    /// Starts or resumes the payment of a validated bill (`Sp_3Pay_Offline_ReceiveMoney_Begin`). `clientIP` is
    /// the address actually recorded (the service's default when the bill has none); a QR code is handed out
    /// for `qrValiditySeconds`.
    func begin(_ bill: ScanCodeRequest, clientIP: String, qrValiditySeconds: Int, deadline: Deadline)
        throws(StoreError) -> BeginOutcome

    /// Records the QR code of a successful precreate.
    func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int, deadline: Deadline)
        throws(StoreError) -> PaymentRecord

    /// Records a definite (signed) precreate refusal: the trade number is spent.
    func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?, deadline: Deadline)
        throws(StoreError) -> PaymentRecord

    /// Records that the precreate outcome is unknown.
    func recordUnknown(autoid: Int64, reason: String, deadline: Deadline) throws(StoreError) -> PaymentRecord

    /// Records that the trade was closed at Alipay. Throws `.alreadyPaid` if the payment got there first.
    func recordClosed(autoid: Int64, deadline: Deadline) throws(StoreError) -> PaymentRecord

    /// Records a payment exactly once, with its receipt, card credit and callback. True when this call recorded
    /// it, false when it was already recorded under the same trade number.
    func recordPaid(_ payment: ConfirmedPayment, deadline: Deadline) throws(StoreError) -> Bool

    func find(autoid: Int64, deadline: Deadline) throws(StoreError) -> PaymentRecord?
    /// The bill's current record.
    func find(billtype: String, billnum: String, deadline: Deadline) throws(StoreError) -> PaymentRecord?
    func find(outTradeNo: String, deadline: Deadline) throws(StoreError) -> PaymentRecord?

    /// Records to settle with Alipay: expired QR codes, and INITIATED/UNKNOWN records untouched for
    /// `unknownAfterSeconds`; least recently updated first.
    func staleRecords(limit: Int, unknownAfterSeconds: Int, deadline: Deadline) throws(StoreError) -> [PaymentRecord]
}

/// A payment Alipay confirmed, by notification or query, ready to be recorded.
public struct ConfirmedPayment: Sendable, Equatable {
    public var outTradeNo: String
    /// Alipay's trade number.
    public var tradeNo: String
    public var totalAmount: Money
    /// UTC payment time; nil when Alipay gave none (the recording time is used).
    public var paidAt: Date?
    public var buyerID: String?
    public var source: PaymentSource

    public init(outTradeNo: String, tradeNo: String, totalAmount: Money, paidAt: Date?, buyerID: String?,
                source: PaymentSource) {
        self.outTradeNo = outTradeNo
        self.tradeNo = tradeNo
        self.totalAmount = totalAmount
        self.paidAt = paidAt
        self.buyerID = buyerID
        self.source = source
    }
}
