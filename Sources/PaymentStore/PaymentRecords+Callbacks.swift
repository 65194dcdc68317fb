internal import MariaDB
public import PaymentFlow
public import PaymentModel

/// The callback outbox (sql/030_callbacks.sql): claim due callbacks, then report one outcome for each.
///
/// A claim holds a callback for `leaseSeconds`; choose it longer than one delivery can take, or a callback whose
/// lease ran out may be claimed and sent a second time. Receivers should treat `autoid` as the idempotency key.
extension PaymentRecords {
    /// Claims up to `limit` (1…1000) due callbacks for `leaseSeconds` (1…86400), oldest due first. Concurrent
    /// claimers never receive the same callback. Empty when nothing is due.
    ///
    /// Repeated after a lost connection, the first claim's callbacks wait for their lease to end and are then
    /// claimed again: none is lost.
    public func claimCallbacks(limit: Int, leaseSeconds: Int, deadline: Deadline) throws(StoreError) -> [CallbackJob] {
        let rows = try rows(
            ProcedureNames.callbackClaim, [.int(Int64(limit)), .int(Int64(leaseSeconds))], deadline: deadline)
        var jobs: [CallbackJob] = []
        jobs.reserveCapacity(rows.count)
        for row in rows {
            do {
                jobs.append(try CallbackJob(row: row))
            } catch {
                throw .unavailable(error.description)
            }
        }
        return jobs
    }

    /// Records that the receiver acknowledged callback `id` with `httpStatus` (100…999). Final: the callback is
    /// never claimed again. Throws `.notFound` for an unknown id.
    public func callbackDelivered(id: Int64, httpStatus: Int, deadline: Deadline) throws(StoreError) {
        _ = try rows(ProcedureNames.callbackDelivered, [.int(id), .int(Int64(httpStatus))], deadline: deadline)
    }

    /// Records a failed attempt of a claimed callback: the attempt is counted and the lease released. With
    /// `giveUp` false it is due again after `retryAfterSeconds` (0…604800); with `giveUp` true it becomes GAVE_UP
    /// and is never claimed again. `httpStatus` is nil when no HTTP answer came; `error` is cut to 512 characters.
    /// A repeated report (the lease already released) changes nothing, nor does one for a delivered callback.
    public func callbackFailed(id: Int64, httpStatus: Int?, error: String, retryAfterSeconds: Int, giveUp: Bool,
                               deadline: Deadline) throws(StoreError)
    {
        _ = try rows(ProcedureNames.callbackFailed, [
            .int(id), httpStatus.map { SQLValue.int(Int64($0)) } ?? .null, .string(error),
            .int(Int64(retryAfterSeconds)), .int(giveUp ? 1 : 0),
        ], deadline: deadline)
    }

    /// Records that callback `id` is not sent because its billtype has no callback URL. Final unless a DBA
    /// re-queues it (sql/README.md).
    public func callbackSkipped(id: Int64, reason: String, deadline: Deadline) throws(StoreError) {
        _ = try rows(ProcedureNames.callbackSkipped, [.int(id), .string(reason)], deadline: deadline)
    }
}
