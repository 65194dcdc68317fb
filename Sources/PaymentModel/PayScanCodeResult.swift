/// What a successful ScanCode call answers inside the envelope's `tag`.
///
/// Members are declared in the order the legacy JSON answer wrote them: billnum, autoid, codeurl.
public struct PayScanCodeResult: Sendable, Hashable {
    /// The bill number echoed back.
    public var billnum: String?
    /// The id of the stored payment record.
    public var autoid: String?
    /// The QR code URL the cashier shows to the customer.
    public var codeurl: String?

    public init(billnum: String?, autoid: String?, codeurl: String?) {
        self.billnum = billnum
        self.autoid = autoid
        self.codeurl = codeurl
    }
}
