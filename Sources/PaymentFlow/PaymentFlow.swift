public import Alipay
public import PaymentModel

/// The payment life cycle as plain rules over a record store and a gateway: issuing a QR code, voiding it,
/// asking Alipay where a trade stands, recording a notification, and the sweep's decisions.
///
/// One instance per worker thread (the store and gateway it holds are single-threaded). Every operation takes
/// the request's `Deadline`; every wait on its behalf draws on it.
public final class PaymentFlow {
    /// The rules' settings, read once at start-up.
    public struct Settings: Sendable {
        /// How long a QR code is handed out (also how long an unfinished record may be resumed), seconds.
        public var qrValiditySeconds: Int
        /// The same validity in Alipay's `timeout_express` syntax (`15m`).
        public var qrTimeoutExpress: String
        /// The client IP recorded when a bill has none.
        public var defaultClientIP: String
        /// When set, a notification must carry this `seller_id`.
        public var sellerID: String?
        /// INITIATED/UNKNOWN records untouched this long are re-queried by the sweep.
        public var unknownAfterSeconds: Int
        /// The part of every request's deadline kept for recording what Alipay answered: Alipay calls end this
        /// long before the deadline, and so does a bill's lease, so that a request waiting for its turn still has
        /// its own time once the turn comes.
        public var recordingReserveMilliseconds: Int

        public init(qrValiditySeconds: Int, qrTimeoutExpress: String, defaultClientIP: String,
                    sellerID: String? = nil, unknownAfterSeconds: Int = 60, recordingReserveMilliseconds: Int = 3000) {
            self.qrValiditySeconds = qrValiditySeconds
            self.qrTimeoutExpress = qrTimeoutExpress
            self.defaultClientIP = defaultClientIP
            self.sellerID = sellerID
            self.unknownAfterSeconds = unknownAfterSeconds
            self.recordingReserveMilliseconds = recordingReserveMilliseconds
        }
    }

    public let store: any PaymentRecordStore
    public let gateway: any PaymentGateway
    public let settings: Settings

    public init(store: any PaymentRecordStore, gateway: any PaymentGateway, settings: Settings) {
        self.store = store
        self.gateway = gateway
        self.settings = settings
    }

    /// When Alipay calls on behalf of a request with `deadline` must be over.
    func alipayDeadline(_ deadline: Deadline) -> Deadline {
        deadline.reserving(milliseconds: settings.recordingReserveMilliseconds)
    }

    /// The bill's record, or 2003.
    public func find(_ lookup: BillLookup, deadline: Deadline) -> Result<PaymentRecord, FlowFailure> {
        do {
            let found: PaymentRecord?
            switch lookup {
            case .autoid(let autoid): found = try store.find(autoid: autoid, deadline: deadline)
            case .bill(let billtype, let billnum):
                found = try store.find(billtype: billtype, billnum: billnum, deadline: deadline)
            }
            guard let found else { return .failure(FlowFailure(.recordNotFound)) }
            return .success(found)
        } catch {
            return .failure(storeFailure(error, autoid: nil))
        }
    }

    /// The answer for a store error.
    func storeFailure(_ error: StoreError, autoid: Int64?) -> FlowFailure {
        switch error {
        case .alreadyPaid:
            // The database's text names the internal trade number; the cashier needs only this.
            FlowFailure(.alreadyPaid, autoid: autoid)
        case .rule(let message):
            FlowFailure(.storeRefused(message), autoid: autoid)
        case .conflict(let message):
            // Another request changed the record between two steps of this one: its text is internal.
            FlowFailure(.billBusy, autoid: autoid, detail: message)
        case .notFound:
            FlowFailure(.recordNotFound, autoid: autoid)
        case .unavailable:
            FlowFailure(.databaseUnavailable, autoid: autoid, detail: error.description)
        case .refundRefused(_, let message):
            FlowFailure(.storeRefused(message), autoid: autoid)
        }
    }

    /// The answer for a gateway error on a call that only reads or voids (query, close, cancel).
    func gatewayFailure(_ error: AlipayError, autoid: Int64) -> FlowFailure {
        switch error {
        case .business(let code, _, let subCode, let subMsg), .unsignedBusiness(let code, _, let subCode, let subMsg):
            FlowFailure(.gatewayRefused(code: code, subCode: subCode, subMessage: subMsg), autoid: autoid,
                        detail: error.description)
        case .invalidSignature, .missingSignature:
            FlowFailure(.gatewaySignatureInvalid, autoid: autoid, detail: error.description)
        case .malformedResponse:
            FlowFailure(.gatewayAnswerMalformed, autoid: autoid, detail: error.description)
        case .congested:
            FlowFailure(.gatewayCongested, autoid: autoid, detail: error.description)
        case .outcomeUnknown, .invalidRequest, .notSent:
            FlowFailure(
                ServiceError(
                    .gatewayOutcomeUnknown,
                    message: "Alipay could not be asked about this payment just now; ask again shortly."),
                autoid: autoid, detail: error.description)
        }
    }
}

/// Texts sent to Alipay within its field limits (subject ≤ 256, body ≤ 128 characters). The full texts stay in
/// the payment record; only the copy shown in the buyer's Alipay app is shortened.
enum AlipayText {
    static func subject(_ text: String) -> String { String(text.prefix(256)) }
    static func description(_ text: String) -> String { String(text.prefix(128)) }
}
