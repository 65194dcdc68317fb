/// Why a byte sequence is not a BSON document the reader accepts. Offsets count bytes from the start of
/// the outermost document; nothing of the input's content is carried.
public enum BSONReadError: Error, Sendable, Equatable {
    /// Lengths, terminators or type codes that do not form a document (libbson's verdict).
    case malformed(reason: String, offset: Int)
    /// Documents or arrays nested deeper than the limit (the outermost document is level 1).
    case tooDeep(limit: Int, offset: Int)
    /// A document or array with more members than the limit; the offset is the first one too many.
    case tooManyMembers(limit: Int, offset: Int, inArray: Bool)
    /// A key or string value that is not valid UTF-8.
    case invalidUTF8(offset: Int)
}
