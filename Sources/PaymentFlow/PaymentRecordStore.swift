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
    /// for `qrValiditySeconds`. Whenever Alipay work is left to do, the caller gets the bill's `lease` until it
    /// records the outcome (or the lease's time, the rest of the deadline, runs out); meanwhile every other
    /// caller is answered `.busy`. Without a lease (nil) the call neither takes nor respects one.
    func begin(_ bill: ScanCodeRequest, clientIP: String, qrValiditySeconds: Int, lease: BillLease?,
               deadline: Deadline) throws(StoreError) -> BeginOutcome

    /// Records the QR code of a successful precreate, and gives back `lease` (nil: none held).
    func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int, releasing lease: BillLease?,
                        deadline: Deadline) throws(StoreError) -> PaymentRecord

    /// Records a definite (signed) precreate refusal: the trade number is spent.
    func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?, releasing lease: BillLease?,
                        deadline: Deadline) throws(StoreError) -> PaymentRecord

    /// Records that the precreate outcome is unknown.
    func recordUnknown(autoid: Int64, reason: String, releasing lease: BillLease?, deadline: Deadline)
        throws(StoreError) -> PaymentRecord

    /// Records that the trade was closed at Alipay. Throws `.alreadyPaid` if the payment got there first.
    func recordClosed(autoid: Int64, releasing lease: BillLease?, deadline: Deadline) throws(StoreError)
        -> PaymentRecord

    /// Gives back a bill's lease without recording anything (the holder stopped early).
    func release(_ lease: BillLease, billtype: String, billnum: String, deadline: Deadline) throws(StoreError)

    /// Records a payment exactly once, with its receipt, card credit and callback. True when this call recorded
    /// it, false when it was already recorded under the same trade number.
    func recordPaid(_ payment: ConfirmedPayment, deadline: Deadline) throws(StoreError) -> Bool

    func find(autoid: Int64, deadline: Deadline) throws(StoreError) -> PaymentRecord?
    /// The bill's current record.
    func find(billtype: String, billnum: String, deadline: Deadline) throws(StoreError) -> PaymentRecord?
    func find(outTradeNo: String, deadline: Deadline) throws(StoreError) -> PaymentRecord?

    /// Records to settle with Alipay, claimed for this sweeper for `leaseMilliseconds`: expired QR codes, and
    /// INITIATED/UNKNOWN records untouched for `unknownAfterSeconds`; least recently updated first. A record another
    /// sweeper (another responder) holds is not among them, so no trade is queried or closed by two at once.
    func claimStaleRecords(limit: Int, unknownAfterSeconds: Int, leaseMilliseconds: Int, deadline: Deadline)
        throws(StoreError) -> [PaymentRecord]

    // MARK: Refunds (`Sp_3Pay_Offline_Refund_*`)

    /// Starts, resumes or looks up a refund; refuses one the rules forbid (`.refundRefused`, `.notFound`) before
    /// anything is written. Work left to do comes with the refund's lease for `leaseMilliseconds`.
    func beginRefund(_ request: RefundRequest, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError)
        -> RefundBeginOutcome

    /// Records that Alipay refunded it, with its receipt, card debit and callback, once.
    func recordRefunded(refundID: Int64, refundedAt: Date?, deadline: Deadline) throws(StoreError) -> RefundRecord

    /// Records Alipay's signed refusal: final for the refundno; a card debit is given back.
    func recordRefundFailed(refundID: Int64, code: String?, subCode: String?, message: String?, deadline: Deadline)
        throws(StoreError) -> RefundRecord

    /// Records that the outcome is unknown, giving the lease back.
    func recordRefundPending(refundID: Int64, reason: String, deadline: Deadline) throws(StoreError) -> RefundRecord

    /// Records a refund Alipay reports that ThreePay may not have asked for: `amount` is that refund's own amount
    /// as Alipay's refund query of `outRequestNo` answers it. Without an amount, a cancel's refund is the rest of the
    /// payment, and a notified refund is recorded only if ThreePay knows its `outRequestNo`. Nil when nothing was
    /// recorded. The payment must be recorded first.
    func recordExternalRefund(outTradeNo: String, outRequestNo: String, amount: Money?, refundedAt: Date?,
                              source: ExternalRefundSource, deadline: Deadline) throws(StoreError) -> RefundRecord?

    /// Refunds to settle with a refund query, each given the refund's lease for `leaseMilliseconds`: PENDING ones,
    /// and REQUESTED ones whose lease ran out.
    func claimStaleRefunds(limit: Int, leaseMilliseconds: Int, deadline: Deadline) throws(StoreError) -> [RefundRecord]
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

/// A request's turn on a bill: while it issues or voids the bill's QR code, the other requests for the bill wait.
/// The token is the request's own; the lease lasts until `until`, by which the holder's Alipay work is over.
public struct BillLease: Sendable, Equatable {
    public let token: String
    public let until: Deadline

    public init(token: String, until: Deadline) {
        self.token = token
        self.until = until
    }

    /// A token no other request has, leased until `until`.
    public static func new(until: Deadline) -> BillLease {
        BillLease(token: UUID().uuidString, until: until)
    }

    /// The lease of the HTTP request nginx numbered `requestID` (its `$request_id`: 32 hex digits, the same for
    /// every responder nginx passes that request to). When the responder holding it dies, nginx passes the same
    /// request on to another one (`fastcgi_next_upstream`), which then carries on under the lease the first one
    /// took instead of waiting for it to run out. An id that is missing, shorter than 16 or longer than 60
    /// characters, or not letters, digits and `-`, gets a token of its own (`new`).
    public static func forRequest(_ requestID: String?, until: Deadline) -> BillLease {
        guard let requestID, (16...60).contains(requestID.utf8.count),
              requestID.utf8.allSatisfy({ byte in
                  byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                      || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
              })
        else { return new(until: until) }
        return BillLease(token: "req-" + requestID, until: until)
    }
}
