public import Foundation

/// Whether a record's QR code may still be shown to a buyer. Only an issued code within its validity is
/// payable; anything else must not be shown, so that nobody scans a code that can no longer be paid.
public enum CodeAvailability: Sendable, Equatable {
    case payable(codeURL: String, expiresAt: Date)
    case paid
    case unavailable(NoCodeReason)
}

/// Why a bill that is not paid has no payable code.
public enum NoCodeReason: Sendable, Equatable {
    /// Voided (Cancel, a changed amount) or closed at Alipay.
    case closed
    /// Issued, but its validity is over (the sweep closes it at Alipay later).
    case expired
    /// Alipay refused the code.
    case refused
    /// No code was issued: the bill has not reached Alipay, or Alipay's answer is unknown.
    case notIssued
}

extension PaymentRecord {
    /// Where this record's code stands at `now`.
    public func codeAvailability(at now: Date) -> CodeAvailability {
        switch status {
        case .paid:
            return .paid
        case .closed:
            return .unavailable(.closed)
        case .qrFailed:
            return .unavailable(.refused)
        case .initiated, .unknown:
            return .unavailable(.notIssued)
        case .qrIssued:
            guard let codeurl, !codeurl.isEmpty else { return .unavailable(.notIssued) }
            guard let qrExpiresAt, qrExpiresAt > now else { return .unavailable(.expired) }
            return .payable(codeURL: codeurl, expiresAt: qrExpiresAt)
        }
    }
}
