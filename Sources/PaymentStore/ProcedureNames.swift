/// The stored procedures this module calls (sql/010_procedures.sql); checked at start-up.
public enum ProcedureNames {
    public static let begin = "Sp_3Pay_Offline_ReceiveMoney_Begin"
    public static let qrIssued = "Sp_3Pay_Offline_ReceiveMoney_QrIssued"
    public static let qrFailed = "Sp_3Pay_Offline_ReceiveMoney_QrFailed"
    public static let unknown = "Sp_3Pay_Offline_ReceiveMoney_Unknown"
    public static let closed = "Sp_3Pay_Offline_ReceiveMoney_Closed"
    public static let paid = "Sp_3Pay_Offline_ReceiveMoney_Paid"
    public static let get = "Sp_3Pay_Offline_ReceiveMoney_Get"
    public static let getByBill = "Sp_3Pay_Offline_ReceiveMoney_GetByBill"
    public static let getByTradeNo = "Sp_3Pay_Offline_ReceiveMoney_GetByTradeNo"
    /// Called by the four event procedures above, not by the service itself.
    public static let transition = "Sp_3Pay_Offline_ReceiveMoney_Transition"

    /// Every procedure that must exist for the service to run.
    public static let required: [String] = [
        begin, qrIssued, qrFailed, unknown, closed, paid, get, getByBill, getByTradeNo, transition,
    ]
}
