import Alipay
import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
import PaymentStore
import Synchronization

/// The service's own background thread: callbacks every second, a sweep every THREEPAY_SWEEP_INTERVAL. It has
/// its own database connection and HTTP handles, like a request worker, and never blocks one.
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

    /// Asks the thread to stop and waits (at most `seconds`) until it has: the process must not exit (and run
    /// OpenSSL's exit-time cleanup) while this thread is still signing a call.
    func stop(waitingAtMost seconds: Int) {
        stopping.store(true, ordering: .releasing)
        _ = finished.wait(timeout: .now() + .seconds(seconds))
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func loop(services: Services) {
        defer { finished.signal() }
        threadInit()
        defer { threadEnd() }
        let parts: (flow: PaymentFlow, callbacks: CallbackDispatch?)
        do { parts = try services.makeBackgroundParts() } catch {
            RequestLog.note("background duties could not start: \(error)")
            return
        }
        var nextSweep = Date().addingTimeInterval(5)
        while !isStopping {
            do throws(StoreError) {
                if let callbacks = parts.callbacks {
                    // A full batch means more are due: keep claiming until the outbox is drained.
                    while !isStopping {
                        let round = try callbacks.deliverDue(deadline: services.newDeadline())
                        for given in round.gaveUp {
                            RequestLog.note("callback for autoid \(given.autoid) gave up: \(given.reason)")
                        }
                        if round.claimed < CallbackDispatch.batchSize { break }
                    }
                }
                let interval = services.configuration.sweepIntervalSeconds
                if interval > 0, Date() >= nextSweep, !isStopping {
                    let report = try parts.flow.sweep(limit: 200, deadline: services.newDeadline())
                    if report.examined > 0 { RequestLog.note(report.description) }
                    nextSweep = Date().addingTimeInterval(TimeInterval(interval))
                }
            } catch {
                RequestLog.note("background round failed: \(error)")
            }
            for _ in 0..<10 where !isStopping {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}
