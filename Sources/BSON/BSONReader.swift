internal import CBSON
internal import CBSONShims

/// Reads a BSON document with libbson's iterator, checking every length, terminator and type code.
///
/// Embedded documents and arrays are read as well, at most `maxDepth` levels deep and each with at most
/// `maxMembers` members, so a malformed, over-deep or over-long value anywhere is refused and the cost is linear
/// in the input. Pointers stay in this file;
/// the iterators only ever point into the caller's array while it is borrowed.
public enum BSONReader {
    /// The members of the document `bytes` holds, in document order (repeated keys kept).
    ///
    /// `bytes` must be exactly one document: its declared length is the array's length and it ends
    /// with a NUL byte. Keys and strings must be valid UTF-8.
    public static func members(of bytes: [UInt8], maxDepth: Int, maxMembers: Int = .max) throws(BSONReadError) -> [BSONMember] {
        let outcome: Result<[BSONMember], BSONReadError> = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, let iterator = Iterator(base, buffer.count) else {
                return .failure(wholeDocumentError(bytes))
            }
            let walker = Walker(origin: base, maxDepth: maxDepth, maxMembers: maxMembers)
            return Result { () throws(BSONReadError) in try walker.members(iterator, depth: 1, start: base, inArray: false) }
        }
        return try outcome.get()
    }

    /// Why libbson refused to start reading: too short, a declared length other than the real one, or no
    /// terminating NUL.
    static func wholeDocumentError(_ bytes: [UInt8]) -> BSONReadError {
        guard bytes.count >= 5 else {
            return .malformed(reason: "\(bytes.count) bytes are shorter than the smallest document (5)", offset: 0)
        }
        let declared = bytes.prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        guard declared == bytes.count else {
            return .malformed(reason: "the document declares \(declared) bytes but \(bytes.count) arrived", offset: 0)
        }
        return .malformed(reason: "the document does not end with a NUL byte", offset: bytes.count - 1)
    }

    /// Owns one `bson_iter_t` (allocated by the shim: Swift cannot hold one itself) over one document.
    /// Not Sendable: it points into a buffer that is only borrowed.
    private final class Iterator {
        let pointer: OpaquePointer

        /// Starts over `length` bytes at `data` when they form a whole document (libbson's
        /// `bson_iter_init_from_data`: length ≥ 5, equal to the declared one, NUL at the end).
        init?(_ data: UnsafePointer<UInt8>, _ length: Int) {
            guard let pointer = threepay_bson_iter_new() else { return nil }
            self.pointer = pointer
            guard bson_iter_init_from_data(pointer, data, length) else { return nil }
        }

        deinit { threepay_bson_iter_free(pointer) }
    }

    /// One read, remembering where the outermost document starts (for offsets) and the limits.
    private struct Walker {
        let origin: UnsafePointer<UInt8>
        let maxDepth: Int
        let maxMembers: Int

        /// The members under `iterator`, a fresh iterator over the document starting at `start`.
        func members(
            _ iterator: Iterator, depth: Int, start: UnsafePointer<UInt8>, inArray: Bool
        ) throws(BSONReadError) -> [BSONMember] {
            let cursor = iterator.pointer
            var found: [BSONMember] = []
            while bson_iter_next(cursor) {
                let offset = start - origin + Int(bson_iter_offset(cursor))
                guard found.count < maxMembers else { throw .tooManyMembers(limit: maxMembers, offset: offset, inArray: inArray) }
                let key = UnsafeRawBufferPointer(start: bson_iter_key(cursor), count: Int(bson_iter_key_len(cursor)))
                guard let name = String(validating: key, as: UTF8.self) else { throw .invalidUTF8(offset: offset) }
                found.append(BSONMember(name, try value(cursor, depth: depth, offset: offset)))
            }
            // libbson ends every walk with `false`; a non-zero error offset tells a defect from the end.
            let defect = threepay_bson_iter_error_offset(cursor)
            if defect != 0 {
                throw .malformed(reason: "an element is truncated, overruns its document or has an unknown type",
                                 offset: start - origin + Int(defect))
            }
            return found
        }

        /// The value the cursor stands on.
        func value(_ cursor: OpaquePointer, depth: Int, offset: Int) throws(BSONReadError) -> BSONValue {
            let type = bson_iter_type(cursor)
            switch type {
            case BSON_TYPE_DOUBLE: return .double(bson_iter_double(cursor))
            case BSON_TYPE_UTF8:
                var length: UInt32 = 0
                let text = UnsafeRawBufferPointer(start: bson_iter_utf8(cursor, &length), count: Int(length))
                guard let string = String(validating: text, as: UTF8.self) else { throw .invalidUTF8(offset: offset) }
                return .string(string)
            case BSON_TYPE_DOCUMENT:
                return .document(try nested(cursor, isArray: false, depth: depth + 1, offset: offset))
            case BSON_TYPE_ARRAY:
                return .array(try nested(cursor, isArray: true, depth: depth + 1, offset: offset).map(\.value))
            case BSON_TYPE_BOOL: return .bool(bson_iter_bool(cursor))
            case BSON_TYPE_NULL: return .null
            case BSON_TYPE_INT32: return .int32(bson_iter_int32(cursor))
            case BSON_TYPE_INT64: return .int64(bson_iter_int64(cursor))
            default: return .unsupported(typeCode: UInt8(truncatingIfNeeded: type.rawValue))
            }
        }

        /// The members of the embedded document or array the cursor stands on, checked as a whole
        /// document of its own (length, terminator) before it is read.
        func nested(_ cursor: OpaquePointer, isArray: Bool, depth: Int, offset: Int) throws(BSONReadError) -> [BSONMember] {
            guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth, offset: offset) }
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>? = nil
            if isArray {
                bson_iter_array(cursor, &length, &data)
            } else {
                bson_iter_document(cursor, &length, &data)
            }
            guard let data, let child = Iterator(data, Int(length)) else {
                throw .malformed(reason: "an embedded document has an invalid length or terminator", offset: offset)
            }
            return try members(child, depth: depth, start: data, inArray: isArray)
        }
    }
}
