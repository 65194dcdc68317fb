import Alipay
import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
import PaymentStore
import Synchronization

/// The service's own background threads: THREEPAY_CALLBACK_POSTERS threads deliver the callback outbox, each
/// claiming its own callbacks (the outbox hands one callback to one claimer), and the first of them also runs a
/// sweep every THREEPAY_SWEEP_INTERVAL. Each has its own database connection and HTTP handle, like a request
/// worker, and never blocks one. One poster sends one callback after another; on a box near full it falls
/// behind (the outbox drains after the load), and more posters keep callbacks prompt at a cost to the requests'
/// latency there (docs/reliability.md has the measurements).
final class BackgroundDuties: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let threads: Int

    private init(threads: Int) {
        self.threads = threads
    }

    /// Starts the threads; `stop()` ends them between two rounds.
    static func start(services: Services) -> BackgroundDuties {
        // Without callbacks to send (no THREEPAY_CALLBACK_SECRET) one thread is enough: the sweep's.
        let count = services.callbackSecret == nil ? 1 : max(1, services.configuration.callbackPosters)
        let duties = BackgroundDuties(threads: count)
        for index in 0..<count {
            let thread = Thread {
                // Named for ps -L, top -H and perf (at most 15 bytes) through the kernel's own file for it, from the
                // thread itself: Foundation passes on a Thread's name only sometimes (never when set before start,
                // and not every time when set from the new thread, which races with start).
                try? "threepay-bg-\(index)".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                duties.loop(services: services, index: index)
            }
            thread.start()
        }
        return duties
    }

    /// Asks the threads to stop and waits (at most `seconds` in all) until they have: the process must not exit
    /// (and run OpenSSL's exit-time cleanup) while one of them is still signing a call.
    func stop(waitingAtMost seconds: Int) {
        stopping.store(true, ordering: .releasing)
        let end = DispatchTime.now() + .seconds(seconds)
        for _ in 0..<threads {
            if finished.wait(timeout: end) == .timedOut { return }
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// One thread's rounds: the outbox every second, and on thread 0 the sweep.
    private func loop(services: Services, index: Int) {
        defer { finished.signal() }
        threadInit()
        defer { threadEnd() }
        let parts: (flow: PaymentFlow, callbacks: CallbackDispatch?)
        do { parts = try services.makeBackgroundParts(index: index) } catch {
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
                if index == 0, interval > 0, Date() >= nextSweep, !isStopping {
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
