/// The refund receipt table beside each business system's receipt table (sql/050_refunds.sql), by billtype.
public enum RefundReceiptTables {
    public static let byBilltype: [String: String] = [
        "1": "T_3Pay_Receipt_Scenic_Refund", "2": "T_3Pay_Receipt_Pos_Refund",
        "3": "T_3Pay_Receipt_CarRental_Refund", "4": "T_3Pay_Receipt_EcoCar_Refund",
        "5": "T_3Pay_Receipt_EquipmentRental_Refund", "6": "T_3Pay_Receipt_JointRetail_Refund",
        "7": "T_3Pay_Receipt_StoredValueCard_Refund",
    ]
}
