import PaymentModel

/// A result type carried in an envelope's `tag`, with its DataContract identity.
public protocol EnvelopeTag: Sendable {
    /// The XML root element name DataContractSerializer gave `CommonOperationResultWithTag<ThisType>`, written out:
    /// `CommonOperationResultWithTagOf` + the class name + (for a non-built-in) the digest of its namespace,
    /// e.g. `CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY`. The digest is fixed by the namespace, so
    /// it is a constant here; RootNameDerivationTests derives each one with MD5 the way .NET does.
    static var xmlRootName: String { get }
    /// The DataContract namespace, e.g. `http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay`.
    static var contractNamespace: String { get }
    /// True only for serialization built-ins (no digest in the root name, no namespace declaration on `tag`).
    static var isBuiltInContract: Bool { get }
    /// The string members in declaration order (JSON writes them in this order; XML sorts them by name).
    var members: [TagMember] { get }
}

extension EnvelopeTag {
    public static var isBuiltInContract: Bool { false }
}

/// One string member of a tag.
public struct TagMember: Sendable, Hashable {
    public let name: String
    public let value: String?

    public init(_ name: String, _ value: String?) {
        self.name = name
        self.value = value
    }
}

/// The legacy answer: `CommonOperationResultWithTag<Tag>` — errcode, errmsg, tag.
public struct Envelope<Tag: EnvelopeTag>: Sendable {
    public var errcode: Int
    public var errmsg: String?
    public var tag: Tag?

    public init(errcode: Int, errmsg: String?, tag: Tag?) {
        self.errcode = errcode
        self.errmsg = errmsg
        self.tag = tag
    }

    /// errcode 0, errmsg "OK", the tag.
    public static func success(_ tag: Tag) -> Envelope {
        Envelope(errcode: 0, errmsg: "OK", tag: tag)
    }

    /// The error's errcode and message; tag null.
    public init(error: ServiceError) {
        self.init(errcode: error.errcode, errmsg: error.message, tag: nil)
    }
}

/// The tag type for answers whose result type is unknown (404, 405, errors before routing): always null.
///
/// It renders as `CommonOperationResultWithTag<object>` would: root `CommonOperationResultWithTagOfanyType`
/// and `<tag i:nil="true" />` in XML, `"tag":null` in JSON.
public enum NoTag: EnvelopeTag {
    public static let xmlRootName = "CommonOperationResultWithTagOfanyType"
    public static let contractNamespace = "http://www.w3.org/2001/XMLSchema"
    public static let isBuiltInContract = true
    public var members: [TagMember] { switch self {} }
}

/// An envelope that can only carry a null tag.
public typealias UntypedEnvelope = Envelope<NoTag>

extension PayScanCodeResult: EnvelopeTag {
    public static let xmlRootName = "CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY"
    public static let contractNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"

    public var members: [TagMember] {
        [TagMember("billnum", billnum), TagMember("autoid", autoid), TagMember("codeurl", codeurl)]
    }
}
