/// One BSON value, as read from a document or to be written into one.
///
/// Only what a request or an answer can hold has its own case; every other BSON type (binary, ObjectId,
/// date, regex, Decimal128, …) is read as `.unsupported` with its type code and cannot be written.
public indirect enum BSONValue: Sendable, Equatable {
    /// 0x01, a 64-bit binary floating-point number.
    case double(Double)
    /// 0x02, a UTF-8 string (checked; it may contain NUL characters).
    case string(String)
    /// 0x03, an embedded document, members in document order.
    case document([BSONMember])
    /// 0x04, an array (a document whose keys are "0", "1", …): the values in order.
    case array([BSONValue])
    /// 0x08.
    case bool(Bool)
    /// 0x0A.
    case null
    /// 0x10.
    case int32(Int32)
    /// 0x12.
    case int64(Int64)
    /// Any other type the library reads, e.g. 0x13 (Decimal128); its value is not exposed.
    case unsupported(typeCode: UInt8)

    /// The type code of Decimal128, which `.unsupported` carries for it.
    public static let decimal128TypeCode: UInt8 = 0x13

    /// Whether this value or anything inside it is `.unsupported` with `typeCode`.
    public func contains(typeCode: UInt8) -> Bool {
        switch self {
        case .unsupported(let code): code == typeCode
        case .document(let members): members.contains { $0.value.contains(typeCode: typeCode) }
        case .array(let values): values.contains { $0.contains(typeCode: typeCode) }
        default: false
        }
    }
}

/// One member of a document: its key and value. Keys may repeat; readers keep every occurrence.
public struct BSONMember: Sendable, Equatable {
    public let name: String
    public let value: BSONValue

    public init(_ name: String, _ value: BSONValue) {
        self.name = name
        self.value = value
    }
}
