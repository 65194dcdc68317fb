public import PaymentModel

/// Why a flow could not do what was asked: the answer for the client, the record it concerns when there is
/// one, and a detail for the service's log that is never shown to the client.
public struct FlowFailure: Error, Sendable, Equatable {
    public var error: ServiceError
    public var autoid: Int64?
    /// For the log only.
    public var detail: String
    /// The record as it stands now, when the failure is about a record whose state the answer should show
    /// (a bill found paid while voiding it).
    public var record: PaymentRecord?
    /// The refund as it stands now, for a refund's answer.
    public var refund: RefundRecord?

    public init(_ error: ServiceError, autoid: Int64? = nil, detail: String = "", record: PaymentRecord? = nil,
                refund: RefundRecord? = nil) {
        self.error = error
        self.autoid = autoid ?? record?.autoid ?? refund?.autoid
        self.detail = detail
        self.record = record
        self.refund = refund
    }
}

/// Which bill a Query, Cancel or QR request is about.
public enum BillLookup: Sendable, Equatable {
    case autoid(Int64)
    case bill(billtype: String, billnum: String)
}
