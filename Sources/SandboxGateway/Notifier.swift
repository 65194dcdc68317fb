import Foundation

/// Sends one notification POST; one instance per notifier thread (HTTP handles are not shared).
public protocol NotificationTransport: AnyObject {
    /// POSTs `formBody` as `application/x-www-form-urlencoded`; throws when no HTTP reply arrived.
    func post(url: String, formBody: [UInt8]) throws -> (status: Int, body: [UInt8])
}

/// Delivers notifications from background threads, resending on any reply other than exactly `success`.
///
/// Sendable argument: `pending`, `stopping` and `running` are only read or written while `condition`
/// is locked; everything else is immutable.
public final class Notifier: @unchecked Sendable {
    private struct Pending {
        var due: Date
        var job: NotificationJob
        var attempt: Int
    }

    /// Waits between attempts, in seconds: after attempt n fails, the next comes `schedule[n-1]` later.
    public let schedule: [Double]
    private let log: NotificationLog
    private let makeTransport: @Sendable () throws -> any NotificationTransport
    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var stopping = false
    private var running = 0

    public init(
        schedule: [Double], log: NotificationLog,
        makeTransport: @escaping @Sendable () throws -> any NotificationTransport
    ) {
        self.schedule = schedule
        self.log = log
        self.makeTransport = makeTransport
    }

    /// Starts `threads` sender threads.
    public func start(threads: Int) {
        condition.lock()
        running += threads
        condition.unlock()
        for index in 0..<threads {
            let thread = Thread { [self] in self.senderLoop() }
            thread.name = "sandbox-notifier-\(index)"
            thread.start()
        }
    }

    /// Queues a first delivery attempt, due now.
    public func enqueue(_ job: NotificationJob) {
        condition.lock()
        pending.append(Pending(due: Date(), job: job, attempt: 1))
        condition.broadcast()
        condition.unlock()
    }

    /// Notifications waiting for their next attempt.
    public var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Drops pending resends (a control reset).
    public func clearPending() {
        condition.lock()
        pending.removeAll()
        condition.unlock()
    }

    /// Stops the sender threads after their current attempt; pending resends are dropped.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func senderLoop() {
        var transport: (any NotificationTransport)?
        while let next = takeNextDue() {
            if transport == nil { transport = try? makeTransport() }
            deliver(next, using: transport)
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until an attempt is due (returning it) or the notifier stops (nil).
    private func takeNextDue() -> Pending? {
        condition.lock()
        defer { condition.unlock() }
        while !stopping {
            if let index = pending.indices.min(by: { pending[$0].due < pending[$1].due }) {
                if pending[index].due <= Date() { return pending.remove(at: index) }
                _ = condition.wait(until: pending[index].due)
            } else {
                condition.wait()
            }
        }
        return nil
    }

    private func deliver(_ item: Pending, using transport: (any NotificationTransport)?) {
        var status: Int?
        var snippet: String
        var delivered = false
        if let transport {
            do {
                let reply = try transport.post(url: item.job.url, formBody: item.job.body)
                status = reply.status
                snippet = String(decoding: reply.body.prefix(200), as: UTF8.self)
                // Alipay's rule: only the exact seven bytes `success` stop the resends.
                delivered = reply.status == 200 && reply.body == Array("success".utf8)
            } catch {
                snippet = "no reply: \(error)"
            }
        } else {
            snippet = "no reply: the HTTP client could not be created"
        }
        let gaveUp = !delivered && item.attempt > schedule.count
        log.record(NotificationAttempt(
            time: Date(), outTradeNo: item.job.outTradeNo, notifyID: item.job.notifyID,
            tradeStatus: item.job.tradeStatus, url: item.job.url, attempt: item.attempt, httpStatus: status,
            replySnippet: snippet, delivered: delivered, gaveUp: gaveUp))
        guard !delivered, !gaveUp else { return }
        let retry = Pending(due: Date().addingTimeInterval(schedule[item.attempt - 1]), job: item.job,
                            attempt: item.attempt + 1)
        condition.lock()
        if !stopping { pending.append(retry) }
        condition.broadcast()
        condition.unlock()
    }
}
