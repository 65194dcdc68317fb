import Foundation
import PaymentFlow
import PaymentModel
@testable import PaymentStore

/// The procedures' tests call the store the way the service does, each call with a generous deadline of its
/// own: what these tests check is the procedures' rules, not the time limits (the flow tests do that).
extension PaymentRecords {
    static let testDeadlineMilliseconds = 60_000

    private var deadline: Deadline { .after(milliseconds: Self.testDeadlineMilliseconds) }

    func begin(_ input: BeginInput) throws(StoreError) -> BeginOutcome {
        try begin(input.bill, clientIP: input.clientip, qrValiditySeconds: input.qrValiditySeconds, lease: nil,
                  deadline: deadline)
    }

    @discardableResult
    func recordQrIssued(autoid: Int64, codeURL: String, validitySeconds: Int) throws(StoreError) -> PaymentRecord {
        try recordQrIssued(autoid: autoid, codeURL: codeURL, validitySeconds: validitySeconds, releasing: nil,
                           deadline: deadline)
    }

    @discardableResult
    func recordQrFailed(autoid: Int64, code: String?, subCode: String?, message: String?) throws(StoreError)
        -> PaymentRecord
    {
        try recordQrFailed(autoid: autoid, code: code, subCode: subCode, message: message, releasing: nil,
                           deadline: deadline)
    }

    @discardableResult
    func recordUnknown(autoid: Int64, reason: String) throws(StoreError) -> PaymentRecord {
        try recordUnknown(autoid: autoid, reason: reason, releasing: nil, deadline: deadline)
    }

    @discardableResult
    func recordClosed(autoid: Int64) throws(StoreError) -> PaymentRecord {
        try recordClosed(autoid: autoid, releasing: nil, deadline: deadline)
    }

    func recordPaid(
        outTradeNo: String, tradeNo: String, totalAmount: Money, paidAt: Date?, buyerID: String?,
        source: PaymentSource
    ) throws(StoreError) -> Bool {
        try recordPaid(
            ConfirmedPayment(outTradeNo: outTradeNo, tradeNo: tradeNo, totalAmount: totalAmount, paidAt: paidAt,
                             buyerID: buyerID, source: source),
            deadline: deadline)
    }

    func find(autoid: Int64) throws(StoreError) -> PaymentRecord? { try find(autoid: autoid, deadline: deadline) }

    func find(billtype: String, billnum: String) throws(StoreError) -> PaymentRecord? {
        try find(billtype: billtype, billnum: billnum, deadline: deadline)
    }

    func find(outTradeNo: String) throws(StoreError) -> PaymentRecord? {
        try find(outTradeNo: outTradeNo, deadline: deadline)
    }

    func staleRecords(limit: Int, unknownAfterSeconds: Int) throws(StoreError) -> [PaymentRecord] {
        try staleRecords(limit: limit, unknownAfterSeconds: unknownAfterSeconds, deadline: deadline)
    }

    func missingProcedures() throws(StoreError) -> [String] { try missingProcedures(deadline: deadline) }

    func claimCallbacks(limit: Int, leaseSeconds: Int) throws(StoreError) -> [CallbackJob] {
        try claimCallbacks(limit: limit, leaseSeconds: leaseSeconds, deadline: deadline)
    }

    func callbackDelivered(id: Int64, httpStatus: Int) throws(StoreError) {
        try callbackDelivered(id: id, httpStatus: httpStatus, deadline: deadline)
    }

    func callbackFailed(id: Int64, httpStatus: Int?, error: String, retryAfterSeconds: Int, giveUp: Bool)
        throws(StoreError)
    {
        try callbackFailed(id: id, httpStatus: httpStatus, error: error, retryAfterSeconds: retryAfterSeconds,
                           giveUp: giveUp, deadline: deadline)
    }

    func callbackSkipped(id: Int64, reason: String) throws(StoreError) {
        try callbackSkipped(id: id, reason: reason, deadline: deadline)
    }
}

/// A Begin call's arguments: the validated bill, the client IP recorded and the QR validity.
struct BeginInput {
    var bill: ScanCodeRequest
    var clientip: String
    var qrValiditySeconds: Int

    var billnum: String { bill.billnum }
    var billtype: String { bill.billtype.rawValue }
    var paymentvalue: Money { bill.paymentvalue }
}

extension BeginOutcome {
    /// The record Begin answered with (these tests take no lease, so Begin is never busy for them).
    var record: PaymentRecord {
        switch self {
        case .new(let record), .existing(let record), .closeFirst(let record): return record
        case .busy(let current): return current!
        }
    }
}
