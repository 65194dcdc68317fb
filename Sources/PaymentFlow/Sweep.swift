public import Foundation
public import PaymentModel

/// What one sweep pass did.
public struct SweepReport: Sendable, Equatable, CustomStringConvertible {
    public var examined = 0
    public var paid = 0
    public var closed = 0
    public var refunded = 0
    public var unresolved = 0

    public init() {}

    public mutating func add(_ other: SweepReport) {
        examined += other.examined
        paid += other.paid
        closed += other.closed
        refunded += other.refunded
        unresolved += other.unresolved
    }

    public var description: String {
        "sweep: examined \(examined), paid \(paid), closed \(closed), refunded \(refunded), unresolved \(unresolved)"
    }
}

/// The sweep's claims on what it settles.
enum Sweep {
    /// A claim lasts as long as the pass may go on (the procedures take 1 ms to 600 s).
    static func leaseMilliseconds(_ deadline: Deadline) -> Int {
        min(max(deadline.remainingMilliseconds, 1), 600_000)
    }
}

extension PaymentFlow {
    /// One pass over at most `limit` records left behind: each is re-queried at Alipay (a payment found is
    /// recorded), and one whose QR code's validity is over is voided; then over at most `limit` refunds whose
    /// outcome is unknown. Every responder sweeps: what one pass works on is claimed for it until its deadline.
    public func sweep(limit: Int, now: Date = Date(), deadline: Deadline) throws(StoreError) -> SweepReport {
        var report = SweepReport()
        let validity = TimeInterval(settings.qrValiditySeconds)
        // Claimed until this pass's deadline, by which its work on them is over.
        let records = try store.claimStaleRecords(
            limit: limit, unknownAfterSeconds: settings.unknownAfterSeconds,
            leaseMilliseconds: Sweep.leaseMilliseconds(deadline), deadline: deadline)
        for record in records {
            report.examined += 1
            var current = record
            switch refresh(record, source: .sweep, deadline: deadline) {
            case .success(let refreshed): current = refreshed
            case .failure:
                report.unresolved += 1
                continue
            }
            if current.status.isPayable, PaymentFlow.isExpired(current, validity: validity, now: now) {
                if case .success(let voided) = void(current, deadline: deadline) { current = voided }
            }
            switch current.status {
            case .paid: report.paid += 1
            case .closed: report.closed += 1
            default: report.unresolved += 1
            }
        }
        report.add(try sweepRefunds(limit: limit, deadline: deadline))
        return report
    }

    /// A QR code's validity is over (for a record that never got one: since it was created).
    public static func isExpired(_ record: PaymentRecord, validity: TimeInterval, now: Date) -> Bool {
        if let expires = record.qrExpiresAt { return expires <= now }
        return record.createdAt.addingTimeInterval(validity) <= now
    }
}
