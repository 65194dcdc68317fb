import PaymentModel

/// The ScanCode request contract (`AliScanCodeParm`).
public enum ScanCodeContract {
    /// The DataContract namespace of `AliScanCodeParm`.
    public static let xmlNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay"

    public static let schema = RequestSchema(
        xmlRootName: "AliScanCodeParm", xmlNamespace: xmlNamespace, memberNames: ScanCodeFields.memberNames
    )
}

/// Decodes a ScanCode request body (JSON, XML, form or BSON) into its raw, unvalidated fields.
///
/// Validate the result with `ScanCodeValidator.validate`. Failures carry the errcode to answer.
public func decodeScanCode(
    contentType: String?, body: [UInt8], limits: DecodingLimits = DecodingLimits()
) -> Result<ScanCodeFields, ServiceError> {
    RequestBodyDecoder.decode(contentType: contentType, body: body, schema: ScanCodeContract.schema, limits: limits)
        .map(ScanCodeFields.init(decoded:))
}

extension ScanCodeFields {
    /// The fields a decoded body holds; the amount keeps its text and where it came from.
    public init(decoded: DecodedFields) {
        self.init(
            billnum: decoded.string("billnum"), billtype: decoded.string("billtype"), body: decoded.string("body"),
            paytype: decoded.string("paytype"), paymentvalue: decoded.values["paymentvalue"].map { RawAmount($0, decoded.format) },
            detail: decoded.string("detail"), clientip: decoded.string("clientip"), cardno: decoded.string("cardno")
        )
    }
}

extension RawAmount {
    /// An amount member's value with the grammar its format and token kind call for.
    init(_ value: FieldValue, _ format: RequestFormat) {
        switch (value, format) {
        case let (.number(text), .bson): self.init(text: text, source: .bsonNumber)
        case let (.number(token), _): self.init(text: token, source: .jsonNumber)
        case (.boolean, _): self.init(text: value.stringValue, source: .boolean)
        case let (.text(text), .json): self.init(text: text, source: .jsonString)
        case let (.text(text), .bson): self.init(text: text, source: .bsonString)
        case let (.text(text), .form): self.init(text: text, source: .formValue)
        case let (.text(text), .xml): self.init(text: text, source: .xmlText)
        }
    }
}
