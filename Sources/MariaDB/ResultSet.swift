import CivilTime
import Foundation

/// One result set: column names and rows, every value read as text (NULL as nil).
public struct ResultSet: Sendable, Equatable {
    public let columns: [String]
    public let rows: [Row]

    public init(columns: [String], rows: [Row]) {
        self.columns = columns
        self.rows = rows
    }
}

/// One row of a result set. Typed accessors convert the text form the server sent.
public struct Row: Sendable, Equatable {
    public let columns: [String]
    public let values: [String?]

    public init(columns: [String], values: [String?]) {
        self.columns = columns
        self.values = values
    }

    /// The text of `column`, nil for SQL NULL. Throws `.usage` when the row has no such column.
    public func string(_ column: String) throws(MariaDBError) -> String? {
        guard let index = columns.firstIndex(of: column) else {
            throw .usage("result has no column named \(column)")
        }
        return values[index]
    }

    /// The text of a NOT NULL column. Throws `.usage` for a missing column or NULL.
    public func requiredString(_ column: String) throws(MariaDBError) -> String {
        guard let text = try string(column) else { throw .usage("column \(column) is NULL") }
        return text
    }

    /// An integer column, nil for SQL NULL.
    public func int64(_ column: String) throws(MariaDBError) -> Int64? {
        guard let text = try string(column) else { return nil }
        guard let number = Int64(text) else { throw .usage("column \(column) is not a 64-bit integer") }
        return number
    }

    /// A DATETIME column read as UTC, nil for SQL NULL.
    public func date(_ column: String) throws(MariaDBError) -> Date? {
        guard let text = try string(column) else { return nil }
        guard let date = CivilTimeText.utc.parse(text, maxFractionDigits: 6) else {
            throw .usage("column \(column) is not a DATETIME")
        }
        return date
    }
}
