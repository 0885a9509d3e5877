import CSQLite

/// Every SQLite failure as one typed value: the result code, the extended code, SQLite's message and
/// the SQL text (never the bound values, which may be private prompts).
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        var text = "SQLite error \(extendedCode) (\(codeName)): \(message)"
        if let sql { text += " [in: \(sql.count > 200 ? String(sql.prefix(200)) + "..." : sql)]" }
        return text
    }

    /// SQLITE_BUSY / SQLITE_LOCKED: another process holds the write lock longer than the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isConstraint: Bool { code == SQLITE_CONSTRAINT }

    var codeName: String { String(cString: sqlite3_errstr(extendedCode)) }
}
