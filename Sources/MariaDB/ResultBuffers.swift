internal import CMariaDB

/// Output buffers bound to a result set: every column is fetched as text into a fixed-size slot, and values
/// longer than the slot are fetched again in full with `mysql_stmt_fetch_column`.
final class ResultBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private let slotSize: Int
    private let data: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<CChar>
    private let truncated: UnsafeMutablePointer<CChar>

    init(columns: Int, slotSize: Int = 256) {
        count = columns
        self.slotSize = slotSize
        binds = .allocate(capacity: columns)
        binds.initialize(repeating: MYSQL_BIND(), count: columns)
        data = .allocate(byteCount: columns * slotSize, alignment: 8)
        lengths = .allocate(capacity: columns)
        lengths.initialize(repeating: 0, count: columns)
        nulls = .allocate(capacity: columns)
        nulls.initialize(repeating: 0, count: columns)
        truncated = .allocate(capacity: columns)
        truncated.initialize(repeating: 0, count: columns)
        for index in 0..<columns {
            binds[index].buffer_type = MYSQL_TYPE_STRING
            binds[index].buffer = data + index * slotSize
            binds[index].buffer_length = UInt(slotSize)
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = truncated + index
        }
    }

    deinit {
        binds.deinitialize(count: count)
        binds.deallocate()
        data.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        truncated.deallocate()
    }

    /// The text of column `index` of the row just fetched; nil for SQL NULL.
    func value(at index: Int, statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> String? {
        if nulls[index] != 0 { return nil }
        let length = Int(lengths[index])
        if length <= slotSize {
            let bytes = UnsafeRawBufferPointer(start: data + index * slotSize, count: length)
            return String(decoding: bytes, as: UTF8.self)
        }
        let full = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
        defer { full.deallocate() }
        var fullLength: UInt = 0
        var column = MYSQL_BIND()
        column.buffer_type = MYSQL_TYPE_STRING
        column.buffer = full.baseAddress
        column.buffer_length = UInt(length)
        let status = withUnsafeMutablePointer(to: &fullLength) { lengthPointer in
            column.length = lengthPointer
            return mysql_stmt_fetch_column(statement, &column, UInt32(index), 0)
        }
        if status != 0 { throw statementError(statement) }
        return String(decoding: UnsafeRawBufferPointer(start: full.baseAddress, count: min(length, Int(fullLength))),
                      as: UTF8.self)
    }
}
