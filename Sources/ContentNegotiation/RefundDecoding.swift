public import PaymentModel

/// The refund request contract (`AliRefundParm`, in the namespace of the other requests).
public enum RefundContract {
    public static let schema = RequestSchema(
        xmlRootName: "AliRefundParm", xmlNamespace: ScanCodeContract.xmlNamespace,
        memberNames: ["billnum", "billtype", "autoid", "refundno", "refundvalue", "reason"])
}

extension RefundFields {
    /// The refund members of a decoded body; the amount keeps its text and where it came from.
    public init(decoded: DecodedFields) {
        self.init(
            refundno: decoded.string("refundno"),
            refundvalue: decoded.values["refundvalue"].map { RawAmount($0, decoded.format) },
            reason: decoded.string("reason"))
    }
}
