internal import CMariaDB

/// One server-side prepared statement, owned by a `Connection` and used only on that connection's thread.
final class PreparedStatement {
    private var handle: UnsafeMutablePointer<MYSQL_STMT>?
    let parameterCount: Int

    init(connection: UnsafeMutablePointer<MYSQL>, sql: String) throws(MariaDBError) {
        guard let statement = mysql_stmt_init(connection) else { throw connectionError(connection) }
        let status = sql.withCString { mysql_stmt_prepare(statement, $0, UInt(sql.utf8.count)) }
        if status != 0 {
            let error = statementError(statement)
            mysql_stmt_close(statement)
            throw error
        }
        handle = statement
        parameterCount = Int(mysql_stmt_param_count(statement))
    }

    deinit { close() }

    /// Frees the statement (client and server side). Must run before its connection is closed.
    func close() {
        if let handle { mysql_stmt_close(handle) }
        handle = nil
    }

    /// Executes with `arguments` bound to the placeholders and reads every result set (a CALL returns one per
    /// SELECT it runs, then a final status that ends the loop).
    func run(_ arguments: [SQLValue]) throws(MariaDBError) -> [ResultSet] {
        guard let handle else { throw .usage("statement already closed") }
        guard arguments.count == parameterCount else {
            throw .usage("statement takes \(parameterCount) arguments, got \(arguments.count)")
        }
        let parameters = ParameterBuffers(arguments)
        if parameterCount > 0, mysql_stmt_bind_param(handle, parameters.binds) != 0 {
            throw statementError(handle)
        }
        if mysql_stmt_execute(handle) != 0 { throw statementError(handle) }
        withExtendedLifetime(parameters) {}

        var resultSets: [ResultSet] = []
        while true {
            let columns = Int(mysql_stmt_field_count(handle))
            if columns > 0 { resultSets.append(try readResultSet(handle, columns: columns)) }
            let next = mysql_stmt_next_result(handle)
            if next == -1 { break }
            if next > 0 { throw statementError(handle) }
        }
        return resultSets
    }

    /// Clears a half-read result after an error so that the statement can run again.
    func reset() {
        if let handle { _ = mysql_stmt_reset(handle) }
    }

    private func readResultSet(_ handle: UnsafeMutablePointer<MYSQL_STMT>, columns count: Int)
        throws(MariaDBError) -> ResultSet
    {
        guard let metadata = mysql_stmt_result_metadata(handle) else { throw statementError(handle) }
        defer { mysql_free_result(metadata) }
        guard let fields = mysql_fetch_fields(metadata) else { throw statementError(handle) }
        let columns = (0..<count).map { fields[$0].name.map { String(cString: $0) } ?? "" }

        let buffers = ResultBuffers(columns: count)
        if mysql_stmt_bind_result(handle, buffers.binds) != 0 { throw statementError(handle) }
        var rows: [Row] = []
        while true {
            let status = mysql_stmt_fetch(handle)
            if status == noMoreRows { break }
            if status != 0 && status != dataTruncated { throw statementError(handle) }
            var values: [String?] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                values.append(try buffers.value(at: index, statement: handle))
            }
            rows.append(Row(columns: columns, values: values))
        }
        return ResultSet(columns: columns, rows: rows)
    }
}

// MYSQL_NO_DATA and MYSQL_DATA_TRUNCATED from mariadb_stmt.h.
private let noMoreRows: Int32 = 100
private let dataTruncated: Int32 = 101

/// The error last reported on a statement handle.
func statementError(_ statement: UnsafeMutablePointer<MYSQL_STMT>) -> MariaDBError {
    let code = Int(mysql_stmt_errno(statement))
    let sqlState = mysql_stmt_sqlstate(statement).map { String(cString: $0) } ?? "HY000"
    let message = mysql_stmt_error(statement).map { String(cString: $0) } ?? ""
    return ErrorNumber.classify(code: code, sqlState: sqlState, message: message)
}

/// The error last reported on a connection handle.
func connectionError(_ connection: UnsafeMutablePointer<MYSQL>) -> MariaDBError {
    let code = Int(mysql_errno(connection))
    let sqlState = mysql_sqlstate(connection).map { String(cString: $0) } ?? "HY000"
    let message = mysql_error(connection).map { String(cString: $0) } ?? ""
    return ErrorNumber.classify(code: code, sqlState: sqlState, message: message)
}
