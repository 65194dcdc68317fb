internal import MariaDB
public import PaymentFlow
public import PaymentModel

/// The sweep's work list (sql/040_sweep.sql).
extension PaymentRecords {
    /// The list as a DBA sees it (nothing is claimed): up to `limit` (1…1000) records to settle with Alipay, least recently updated first: QR_ISSUED records
    /// whose QR code has expired, and INITIATED/UNKNOWN records not updated for `unknownAfterSeconds`
    /// (0…2592000). A record leaves the list once Paid, Closed, QrIssued or QrFailed is recorded for it.
    public func staleRecords(limit: Int, unknownAfterSeconds: Int, deadline: Deadline) throws(StoreError)
        -> [PaymentRecord]
    {
        let rows = try rows(
            ProcedureNames.stale, [.int(Int64(limit)), .int(Int64(unknownAfterSeconds))], deadline: deadline)
        return try decodeAll(rows)
    }

    /// The records `staleRecords` lists that no other sweeper holds, claimed for `leaseMilliseconds` (1…600000):
    /// meanwhile no other responder's sweep (on any node of a cluster) is given them.
    public func claimStaleRecords(limit: Int, unknownAfterSeconds: Int, leaseMilliseconds: Int, deadline: Deadline)
        throws(StoreError) -> [PaymentRecord]
    {
        let rows = try rows(ProcedureNames.claimStale, [
            .int(Int64(limit)), .int(Int64(unknownAfterSeconds)), .int(Int64(leaseMilliseconds)),
        ], deadline: deadline)
        return try decodeAll(rows)
    }

    private func decodeAll(_ rows: [Row]) throws(StoreError) -> [PaymentRecord] {
        var records: [PaymentRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            records.append(try decode(row))
        }
        return records
    }
}
