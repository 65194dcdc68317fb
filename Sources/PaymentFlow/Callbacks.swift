import Foundation
public import PaymentModel

/// The durable callback outbox (`Sp_3Pay_Callback_*`): claim due callbacks, then report one outcome for each.
public protocol CallbackOutbox: AnyObject {
    /// Claims up to `limit` due callbacks for `leaseSeconds`; concurrent claimers never get the same one.
    func claimCallbacks(limit: Int, leaseSeconds: Int, deadline: Deadline) throws(StoreError) -> [CallbackJob]
    /// The receiver acknowledged: final.
    func callbackDelivered(id: Int64, httpStatus: Int, deadline: Deadline) throws(StoreError)
    /// A failed attempt: due again after `retryAfterSeconds`, or given up for good.
    func callbackFailed(id: Int64, httpStatus: Int?, error: String, retryAfterSeconds: Int, giveUp: Bool,
                        deadline: Deadline) throws(StoreError)
    /// Not sent because the billtype has no receiver: final unless a DBA re-queues it.
    func callbackSkipped(id: Int64, reason: String, deadline: Deadline) throws(StoreError)
}

/// Sends one callback to the business system of its billtype (signing and transport are the sender's).
public protocol CallbackSender: AnyObject {
    /// True when a receiver URL is configured for `billtype`.
    func hasReceiver(forBilltype billtype: String) -> Bool
    /// POSTs the callback; the HTTP status and the start of the answer, or why no answer came.
    func send(_ job: CallbackJob) -> Result<(status: Int, body: [UInt8]), CallbackSendError>
}

/// Why a callback got no HTTP answer (for the outbox's error column and the log).
public struct CallbackSendError: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The callback rules: a callback counts as delivered when the receiver answers 2xx with the body `success`;
/// anything else is retried after 5 s, 10 s, 20 s … (at most 1 h apart) and given up after 15 attempts.
public struct CallbackDispatch {
    public static let maximumAttempts = 15
    public static let batchSize = 5
    /// Outlasts a whole batch sent one after another (5 × the sender's 10 s limit), so no other deliverer can
    /// claim a job of this batch while it is still being sent.
    public static let leaseSeconds = 120

    /// What one round did.
    public struct Round: Sendable, Equatable {
        public var claimed = 0
        public var delivered = 0
        /// Callbacks given up in this round: autoid and the last reason, for the log.
        public var gaveUp: [(autoid: Int64, reason: String)] = []

        public static func == (lhs: Round, rhs: Round) -> Bool {
            lhs.claimed == rhs.claimed && lhs.delivered == rhs.delivered
                && lhs.gaveUp.map(\.autoid) == rhs.gaveUp.map(\.autoid)
        }
    }

    public let outbox: any CallbackOutbox
    public let sender: any CallbackSender

    public init(outbox: any CallbackOutbox, sender: any CallbackSender) {
        self.outbox = outbox
        self.sender = sender
    }

    /// Claims one batch of due callbacks and tries each once. A full batch (`claimed == batchSize`) means more
    /// may be due.
    public func deliverDue(deadline: Deadline) throws(StoreError) -> Round {
        var round = Round()
        let jobs = try outbox.claimCallbacks(
            limit: Self.batchSize, leaseSeconds: Self.leaseSeconds, deadline: deadline)
        round.claimed = jobs.count
        for job in jobs {
            deliver(job, into: &round, deadline: deadline)
        }
        return round
    }

    private func deliver(_ job: CallbackJob, into round: inout Round, deadline: Deadline) {
        guard sender.hasReceiver(forBilltype: job.billtype) else {
            _ = try? outbox.callbackSkipped(
                id: job.id, reason: "no THREEPAY_CALLBACK_URL_\(job.billtype) configured", deadline: deadline)
            return
        }
        let attempt = job.attempts + 1
        let status: Int?
        let reason: String
        switch sender.send(job) {
        case .success(let reply):
            let answer = String(decoding: reply.body.prefix(64), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if (200..<300).contains(reply.status), answer == "success" {
                _ = try? outbox.callbackDelivered(id: job.id, httpStatus: reply.status, deadline: deadline)
                round.delivered += 1
                return
            }
            status = reply.status
            reason = "answered \(reply.status) without success"
        case .failure(let error):
            status = nil
            reason = error.reason
        }
        let giveUp = attempt >= Self.maximumAttempts
        _ = try? outbox.callbackFailed(
            id: job.id, httpStatus: status, error: String(reason.prefix(250)),
            retryAfterSeconds: Self.backoffSeconds(afterAttempt: attempt), giveUp: giveUp, deadline: deadline)
        if giveUp { round.gaveUp.append((job.autoid, reason)) }
    }

    /// 5 s after the first failure, doubling, at most an hour.
    public static func backoffSeconds(afterAttempt attempt: Int) -> Int {
        min(5 << min(max(attempt - 1, 0), 10), 3600)
    }
}
