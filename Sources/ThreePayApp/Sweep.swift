import Foundation
import Synchronization
import PaymentStore

/// Resolves records left behind: QR codes past their validity are voided at Alipay and closed;
/// records whose precreate outcome was unknown are re-queried (and voided once their validity is over);
/// a payment found on the way is recorded.
struct Sweep {
    struct Report: CustomStringConvertible {
        var examined = 0
        var paid = 0
        var closed = 0
        var unresolved = 0

        var description: String {
            "sweep: examined \(examined), paid \(paid), closed \(closed), unresolved \(unresolved)"
        }
    }

    let worker: Worker

    /// One pass over at most `limit` stale records.
    func run(limit: Int = 200) throws(StoreError) -> Report {
        var report = Report()
        let validity = TimeInterval(worker.services.configuration.qrTimeout.seconds)
        let records = try worker.store().staleRecords(limit: limit, unknownAfterSeconds: 60)
        for record in records {
            report.examined += 1
            var current = record
            switch worker.refresh(record, source: .sweep) {
            case .success(let refreshed): current = refreshed
            case .failure:
                report.unresolved += 1
                continue
            }
            if current.status.isPayable, Sweep.isExpired(current, validity: validity, now: Date()) {
                if case .success(let voided) = worker.void(current) { current = voided }
            }
            switch current.status {
            case .paid: report.paid += 1
            case .closed: report.closed += 1
            default: report.unresolved += 1
            }
        }
        return report
    }

    /// A QR code's validity is over (for a record that never got one: since it was created).
    static func isExpired(_ record: PaymentRecord, validity: TimeInterval, now: Date) -> Bool {
        if let expires = record.qrExpiresAt { return expires <= now }
        return record.createdAt.addingTimeInterval(validity) <= now
    }
}

/// The service's own background thread: callbacks every second, a sweep every THREEPAY_SWEEP_INTERVAL.
/// It has its own database connection and HTTP handles, like a request worker, and never blocks one.
final class BackgroundDuties: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread; `stop()` ends it between two rounds.
    static func start(services: Services) -> BackgroundDuties {
        let duties = BackgroundDuties()
        let thread = Thread { duties.loop(services: services) }
        thread.name = "threepay-background"
        thread.start()
        return duties
    }

    /// Asks the thread to stop and waits (at most `seconds`) until it has: the process must not exit
    /// (and run OpenSSL's exit-time cleanup) while this thread is still signing a call.
    func stop(waitingAtMost seconds: Int) {
        stopping.store(true, ordering: .releasing)
        _ = finished.wait(timeout: .now() + .seconds(seconds))
    }

    private func loop(services: Services) {
        defer { finished.signal() }
        do {
            let worker = try Worker(index: -1, services: services)
            let delivery = try services.makeCallbackDelivery()
            var nextSweep = Date().addingTimeInterval(5)
            while !stopping.load(ordering: .acquiring) {
                do throws(StoreError) {
                    // A full batch means more are due: keep claiming until the outbox is drained.
                    if let delivery {
                        while !stopping.load(ordering: .acquiring),
                              try delivery.deliverDue(store: worker.store()) == CallbackDelivery.batchSize {}
                    }
                    let interval = services.configuration.sweepIntervalSeconds
                    if interval > 0, Date() >= nextSweep, !stopping.load(ordering: .acquiring) {
                        let report = try Sweep(worker: worker).run()
                        if report.examined > 0 { RequestLog.note(report.description) }
                        nextSweep = Date().addingTimeInterval(TimeInterval(interval))
                    }
                } catch {
                    worker.forgetStore(after: error)
                }
                for _ in 0..<10 where !stopping.load(ordering: .acquiring) {
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        } catch {
            RequestLog.note("background duties could not start: \(error)")
        }
    }
}
