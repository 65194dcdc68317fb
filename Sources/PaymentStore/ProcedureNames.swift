/// The stored procedures this module calls (sql/010–050); checked at start-up.
public enum ProcedureNames {
    public static let begin = "Sp_3Pay_Offline_ReceiveMoney_Begin"
    public static let qrIssued = "Sp_3Pay_Offline_ReceiveMoney_QrIssued"
    public static let qrFailed = "Sp_3Pay_Offline_ReceiveMoney_QrFailed"
    public static let unknown = "Sp_3Pay_Offline_ReceiveMoney_Unknown"
    public static let closed = "Sp_3Pay_Offline_ReceiveMoney_Closed"
    public static let paid = "Sp_3Pay_Offline_ReceiveMoney_Paid"
    public static let get = "Sp_3Pay_Offline_ReceiveMoney_Get"
    public static let getByBill = "Sp_3Pay_Offline_ReceiveMoney_GetByBill"
    public static let getByTradeNo = "Sp_3Pay_Offline_ReceiveMoney_GetByTradeNo"
    /// Gives back a bill's lease its holder no longer needs.
    public static let billRelease = "Sp_3Pay_Offline_Bill_Release"
    /// Called by the four event procedures above, not by the service itself.
    public static let transition = "Sp_3Pay_Offline_ReceiveMoney_Transition"
    /// Lists records the sweep should settle (sql/040_sweep.sql), for DBAs; the sweep claims them with `claimStale`.
    public static let stale = "Sp_3Pay_Offline_ReceiveMoney_Stale"
    public static let claimStale = "Sp_3Pay_Offline_ReceiveMoney_ClaimStale"
    /// Called by `paid` to write the receipt, card credit and callback (sql/020_receipts.sql).
    public static let receiptDispatch = "Sp_3Pay_Receipt_Dispatch"
    /// The callback outbox (sql/030_callbacks.sql).
    public static let callbackClaim = "Sp_3Pay_Callback_Claim"
    public static let callbackDelivered = "Sp_3Pay_Callback_Delivered"
    public static let callbackFailed = "Sp_3Pay_Callback_Failed"
    public static let callbackSkipped = "Sp_3Pay_Callback_Skipped"
    /// Called by the three outcome procedures above, not by the service itself.
    public static let callbackTransition = "Sp_3Pay_Callback_Transition"
    /// Refunds (sql/050_refunds.sql).
    public static let refundBegin = "Sp_3Pay_Offline_Refund_Begin"
    public static let refundRefunded = "Sp_3Pay_Offline_Refund_Refunded"
    public static let refundFailed = "Sp_3Pay_Offline_Refund_Failed"
    public static let refundPending = "Sp_3Pay_Offline_Refund_Pending"
    public static let refundReported = "Sp_3Pay_Offline_Refund_Reported"
    public static let refundGet = "Sp_3Pay_Offline_Refund_Get"
    public static let refundStale = "Sp_3Pay_Offline_Refund_Stale"
    public static let refundClaimStale = "Sp_3Pay_Offline_Refund_ClaimStale"
    /// Called by the refund procedures above, not by the service itself.
    public static let refundRecord = "Sp_3Pay_Refund_Record"
    public static let refundTransition = "Sp_3Pay_Refund_Transition"

    /// Every procedure that must exist for the service to run.
    public static let required: [String] = [
        begin, qrIssued, qrFailed, unknown, closed, paid, get, getByBill, getByTradeNo, billRelease, transition,
        stale, claimStale, receiptDispatch, callbackClaim, callbackDelivered, callbackFailed, callbackSkipped,
        callbackTransition, refundBegin, refundRefunded, refundFailed, refundPending, refundReported, refundGet,
        refundStale, refundClaimStale, refundRecord, refundTransition,
    ]
}
