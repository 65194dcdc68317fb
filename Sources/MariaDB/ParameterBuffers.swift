internal import CMariaDB
import CivilTime

/// The MYSQL_BIND array for one execution, and the memory its entries point to.
///
/// Connector/C copies the bind array but not the buffers, so this object must outlive `mysql_stmt_execute`.
final class ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private let lengths: UnsafeMutablePointer<UInt>
    private var storage: [UnsafeMutableRawPointer] = []

    init(_ arguments: [SQLValue]) {
        count = arguments.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        lengths = .allocate(capacity: max(count, 1))
        lengths.initialize(repeating: 0, count: max(count, 1))
        for (index, argument) in arguments.enumerated() {
            bind(argument, at: index)
        }
    }

    deinit {
        for pointer in storage { pointer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
        lengths.deallocate()
    }

    private func bind(_ argument: SQLValue, at index: Int) {
        switch argument {
        case .string(let text):
            bindText(text, type: MYSQL_TYPE_STRING, at: index)
        case .decimal(let text):
            bindText(text, type: MYSQL_TYPE_NEWDECIMAL, at: index)
        case .dateTime(let date):
            bindText(CivilTimeText.utc.format(date, fractionDigits: 6), type: MYSQL_TYPE_STRING, at: index)
        case .int(let number):
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            buffer.storeBytes(of: number, as: Int64.self)
            storage.append(buffer)
            binds[index].buffer_type = MYSQL_TYPE_LONGLONG
            binds[index].buffer = buffer
            binds[index].buffer_length = 8
        case .null:
            binds[index].buffer_type = MYSQL_TYPE_NULL
        }
    }

    private func bindText(_ text: String, type: enum_field_types, at index: Int) {
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.copyMemory(from: base, byteCount: source.count) }
        }
        storage.append(buffer)
        lengths[index] = UInt(bytes.count)
        binds[index].buffer_type = type
        binds[index].buffer = buffer
        binds[index].buffer_length = UInt(bytes.count)
        binds[index].length = lengths + index
    }
}
