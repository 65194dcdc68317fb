import Foundation

/// A value bound to a `?` placeholder of a prepared statement. Values never become part of SQL text.
public enum SQLValue: Sendable, Equatable {
    /// UTF-8 text (bound as MYSQL_TYPE_STRING).
    case string(String)
    /// A signed 64-bit integer (MYSQL_TYPE_LONGLONG).
    case int(Int64)
    /// Exact decimal text such as `88.88` (MYSQL_TYPE_NEWDECIMAL): the server parses it, no floating point.
    case decimal(String)
    /// A point in time, sent as UTC `YYYY-MM-DD HH:MM:SS.ffffff` for a DATETIME parameter.
    case dateTime(Date)
    /// SQL NULL.
    case null

    /// `.string(text)`, or `.null` when `text` is nil.
    public static func optional(_ text: String?) -> SQLValue {
        text.map(SQLValue.string) ?? .null
    }
}
