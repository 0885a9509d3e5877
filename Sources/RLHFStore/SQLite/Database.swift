import CSQLite
import Foundation

/// A connection to one SQLite file. Every C call goes through `check`, so every failure becomes a
/// `SQLiteError`. Writes go through `write { }`, which opens `BEGIN IMMEDIATE` (the write lock is
/// taken up front, so two writers never deadlock upgrading a read lock), commits, or rolls back on
/// any throw and rethrows the first error. Not thread-safe: one connection per thread or process.
public final class Database {
    let handle: OpaquePointer
    public let path: String
    private var statementCache: [String: Statement] = [:]
    public private(set) var isInTransaction = false
    /// The busy timeout this connection was opened with (restored after `withoutWaiting`).
    public let busyTimeoutMilliseconds: Int32

    public struct OpenOptions: Sendable {
        public var create: Bool
        public var readOnly: Bool
        /// How long a writer waits for another process's lock before SQLITE_BUSY.
        public var busyTimeoutMilliseconds: Int32
        public init(create: Bool = true, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 30_000) {
            self.create = create
            self.readOnly = readOnly
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    /// Process-wide SQLite settings, applied once before the first connection opens.
    private static let configured: Bool = {
        _ = rlhf_sqlite3_disable_memstatus()
        return true
    }()

    public init(path: String, options: OpenOptions = OpenOptions()) throws {
        _ = Database.configured
        var flags = options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if options.create && !options.readOnly { flags |= SQLITE_OPEN_CREATE }
        flags |= SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc & 0xff, extendedCode: extended, message: "cannot open \(path): \(message)", sql: nil)
        }
        handle = db
        self.path = path
        busyTimeoutMilliseconds = options.busyTimeoutMilliseconds
        sqlite3_extended_result_codes(db, 1)
        try check(sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds), sql: "busy_timeout")
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Turns a result code into a thrown `SQLiteError` unless it is OK/ROW/DONE.
    @discardableResult
    func check(_ rc: Int32, sql: String?) throws -> Int32 {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return rc
        default:
            throw SQLiteError(code: rc & 0xff, extendedCode: sqlite3_extended_errcode(handle),
                              message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
    }

    /// Runs one or more statements without results (DDL, pragmas).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc & 0xff, extendedCode: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// A prepared statement, cached by its SQL text and reset before it is handed out. Looking up
    /// the cache hashes the SQL text; hot loops keep the statement instead of asking again.
    public func prepare(_ sql: String) throws -> Statement {
        if let cached = statementCache[sql] {
            try cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// A statement that is not cached (for one-off queries with large result sets that stream).
    public func prepareUncached(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `body` with a busy timeout of zero: a lock another connection holds fails at once with
    /// SQLITE_BUSY instead of waiting. For things worth trying only when nobody else is there.
    public func withoutWaiting<T>(_ body: () throws -> T) rethrows -> T {
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, busyTimeoutMilliseconds) }
        return try body()
    }

    /// One write transaction. `BEGIN IMMEDIATE`, the body, `COMMIT`; on any throw, `ROLLBACK` and the
    /// body's error is rethrown. Nested calls join the outer transaction.
    @discardableResult
    public func write<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN IMMEDIATE")
        isInTransaction = true
        do {
            let result = try body()
            resetCachedStatements()
            try execute("COMMIT")
            isInTransaction = false
            return result
        } catch {
            isInTransaction = false
            // The first error wins: a failed rollback (e.g. already rolled back by SQLite) is not news.
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A read transaction: one consistent snapshot for several queries (WAL lets writers go on).
    public func read<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN DEFERRED")
        isInTransaction = true
        defer {
            isInTransaction = false
            resetCachedStatements()
            try? execute("COMMIT")
        }
        return try body()
    }

    /// Cached statements hold their last row until reset; a COMMIT with one in progress fails.
    func resetCachedStatements() {
        for statement in statementCache.values { sqlite3_reset(statement.handle) }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The first column of the first row, or nil.
    public func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int64? {
        let s = try prepare(sql)
        try s.bind(values)
        defer { sqlite3_reset(s.handle) }
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int64(0)
    }

    public func scalarText(_ sql: String, _ values: [SQLValue] = []) throws -> String? {
        let s = try prepare(sql)
        try s.bind(values)
        defer { sqlite3_reset(s.handle) }
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.text(0)
    }

    /// Runs a statement that returns no rows.
    public func run(_ sql: String, _ values: [SQLValue] = []) throws {
        let s = try prepare(sql)
        try s.bind(values)
        defer { sqlite3_reset(s.handle) }
        _ = try s.step()
    }
}
