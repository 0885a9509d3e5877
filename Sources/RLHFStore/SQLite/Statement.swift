import CSQLite
import RLHFCore

/// A value to bind. Text is bound with its exact byte length, so NUL bytes survive.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public static func optional(_ v: String?) -> SQLValue { v.map { .text($0) } ?? .null }
    public static func optional(_ v: Int?) -> SQLValue { v.map { .int(Int64($0)) } ?? .null }
    public static func optional(_ v: Int64?) -> SQLValue { v.map { .int($0) } ?? .null }
    public static func optional(_ v: Double?) -> SQLValue { v.map { .double($0) } ?? .null }
}

/// SQLite binds NULL for a null pointer, so empty text needs a real (never read) address.
nonisolated(unsafe) private let emptyText: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

@inline(__always) private func nonNull(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return UnsafePointer(emptyText) }
    return base.assumingMemoryBound(to: CChar.self)
}

/// SQLite copies transient values at bind time.
nonisolated(unsafe) private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Binding with a wrong index or count is programmer misuse: a precondition.
/// Text columns are read with `sqlite3_column_bytes`, never as C strings, so NULs survive.
public final class Statement {
    let handle: OpaquePointer
    /// The connection's handle, for error messages (no reference to the `Database` object: a
    /// reference count per bind was 1.5% of an import).
    let connection: OpaquePointer
    public let sql: String

    init(database: Database, sql: String) throws {
        var stmt: OpaquePointer?
        try database.check(sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil), sql: sql)
        guard let stmt else {
            throw SQLiteError(code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE, message: "empty statement", sql: sql)
        }
        handle = stmt
        connection = database.handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Throws unless a bind (or other call) returned SQLITE_OK.
    @inline(__always) func check(_ rc: Int32) throws {
        if rc != SQLITE_OK { throw failure(rc) }
    }

    @inline(never) func failure(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc & 0xff, extendedCode: sqlite3_extended_errcode(connection),
                    message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }

    public func reset() throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    public func bind(_ values: [SQLValue]) throws {
        precondition(values.count == parameterCount, "\(sql): \(values.count) values for \(parameterCount) parameters")
        for (i, v) in values.enumerated() { try bind(v, at: i + 1) }
    }

    public func bind(_ value: SQLValue, at index: Int) throws {
        let i = Int32(index)
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, i)
        case .int(let v): rc = sqlite3_bind_int64(handle, i, v)
        case .double(let v): rc = sqlite3_bind_double(handle, i, v)
        case .text(let s):
            var s = s
            rc = s.withUTF8 { utf8 in
                sqlite3_bind_text64(handle, i, nonNull(UnsafeRawBufferPointer(utf8)),
                                    sqlite3_uint64(utf8.count), SQLITE_TRANSIENT, UInt8(SQLITE_UTF8))
            }
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(handle, i, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), sqlite3_uint64(raw.count), SQLITE_TRANSIENT)
            }
        }
        try check(rc)
    }

    // Direct binds for hot paths (no array of values per call).
    public func bind(_ value: Int64, at index: Int) throws {
        try check(sqlite3_bind_int64(handle, Int32(index), value))
    }

    public func bind(_ value: String, at index: Int) throws {
        var s = value
        let rc = s.withUTF8 { utf8 in
            sqlite3_bind_text64(handle, Int32(index), nonNull(UnsafeRawBufferPointer(utf8)), sqlite3_uint64(utf8.count),
                                SQLITE_TRANSIENT, UInt8(SQLITE_UTF8))
        }
        try check(rc)
    }

    public func bind(_ value: String?, at index: Int) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Int64?, at index: Int) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ digest: Digest, at index: Int) throws {
        let rc = digest.withBytes { raw in
            sqlite3_bind_blob64(handle, Int32(index), raw.baseAddress, sqlite3_uint64(raw.count), SQLITE_TRANSIENT)
        }
        try check(rc)
    }

    public func bindNull(at index: Int) throws {
        try check(sqlite3_bind_null(handle, Int32(index)))
    }

    /// Steps a statement that returns no rows and resets it for the next use.
    public func execute() throws {
        defer { sqlite3_reset(handle) }
        _ = try step()
    }

    /// Text bound from raw UTF-8 bytes (the import path, no String in between).
    public func bindText(bytes: UnsafeRawBufferPointer, at index: Int) throws {
        try check(sqlite3_bind_text64(handle, Int32(index), nonNull(bytes), sqlite3_uint64(bytes.count),
                                               SQLITE_TRANSIENT, UInt8(SQLITE_UTF8)))
    }

    /// Binds text without copying it: the bytes must stay valid until the statement has been stepped
    /// and are not read after that (the next bind of this index replaces them). For hot import paths.
    public func bindTextNoCopy(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        try check(sqlite3_bind_text64(handle, Int32(index), nonNull(bytes), sqlite3_uint64(bytes.count),
                                               nil, UInt8(SQLITE_UTF8)))
    }

    /// Binds a blob without copying it (same lifetime rule as `bindTextNoCopy`).
    public func bindBlobNoCopy(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        try check(sqlite3_bind_blob64(handle, Int32(index), nonNull(bytes), sqlite3_uint64(bytes.count), nil))
    }

    /// Binds a constant string's bytes without copying them.
    public func bindStatic(_ text: StaticString, at index: Int) throws {
        try bindTextNoCopy(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), at: index)
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        // The statement's own error, then reset so it can be reused.
        let error = failure(rc)
        sqlite3_reset(handle)
        throw error
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }
    public func isNull(_ column: Int) -> Bool { sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL }
    public func int64(_ column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }
    public func int(_ column: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(column))) }
    public func double(_ column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }

    public func text(_ column: Int) -> String {
        String(decoding: textBytes(column), as: UTF8.self)
    }

    public func optionalText(_ column: Int) -> String? { isNull(column) ? nil : text(column) }
    public func optionalInt(_ column: Int) -> Int? { isNull(column) ? nil : int(column) }
    public func optionalDouble(_ column: Int) -> Double? { isNull(column) ? nil : double(column) }

    /// The column's UTF-8 bytes, valid until the next step or reset.
    public func textBytes(_ column: Int) -> UnsafeRawBufferPointer {
        let p = sqlite3_column_text(handle, Int32(column))
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard let p, n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    /// The column's UTF-8 bytes, or nil when it is NULL (one call to SQLite fewer than `isNull` and
    /// `textBytes`). Valid until the next step or reset.
    public func optionalTextBytes(_ column: Int) -> UnsafeRawBufferPointer? {
        guard let p = sqlite3_column_text(handle, Int32(column)) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, Int32(column))))
    }

    public func blob(_ column: Int) -> [UInt8] {
        let p = sqlite3_column_blob(handle, Int32(column))
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard let p, n > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    public func blobBytes(_ column: Int) -> UnsafeRawBufferPointer {
        let p = sqlite3_column_blob(handle, Int32(column))
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard let p, n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }
}
