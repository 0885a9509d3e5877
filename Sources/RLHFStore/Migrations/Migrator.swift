import RLHFCore

/// One numbered schema change, embedded in the binary from `migrations/NNNN_name.sql`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    public var sha256: String { SHA256.hex(sql) }
}

public enum MigrationError: Error, CustomStringConvertible {
    case newerThanBinary(path: String, storeVersion: Int, binaryVersion: Int)
    case checksumMismatch(path: String, version: Int, name: String, recorded: String, expected: String)
    case unknownVersion(path: String, version: Int)
    case failed(path: String, migration: String, underlying: Error)

    public var description: String {
        switch self {
        case let .newerThanBinary(path, storeVersion, binaryVersion):
            return "store \(path) has schema version \(storeVersion), but this rlhf knows versions up to \(binaryVersion): use a newer rlhf (the store was not changed)"
        case let .checksumMismatch(path, version, name, recorded, expected):
            return "store \(path): migration \(version) (\(name)) was applied from SQL with sha256 \(recorded.prefix(12))..., but this rlhf carries \(expected.prefix(12))...; the store and the binary disagree about the schema (migrations must never be edited once landed)"
        case let .unknownVersion(path, version):
            return "store \(path) records migration \(version), which this rlhf does not have"
        case let .failed(path, migration, underlying):
            return "store \(path): migration \(migration) failed and was rolled back: \(underlying)"
        }
    }
}

/// Applies embedded migrations in order, each in its own `BEGIN IMMEDIATE` transaction together
/// with its `schema_migrations` row (version, name, sha256). Forward-only: a store from a newer
/// binary, or whose recorded checksums differ from ours, is refused before anything is written.
public struct Migrator {
    public let migrations: [Migration]

    public init(migrations: [Migration] = EmbeddedMigrations.all) {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
                     "migrations must be in increasing version order")
        self.migrations = migrations
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The versions recorded in the store with their checksums.
    public static func applied(_ db: Database) throws -> [(version: Int, name: String, sha256: String)] {
        let exists = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") ?? 0
        guard exists > 0 else { return [] }
        let s = try db.prepare("SELECT version, name, sha256 FROM schema_migrations ORDER BY version")
        var rows: [(Int, String, String)] = []
        while try s.step() { rows.append((s.int(0), s.text(1), s.text(2))) }
        return rows
    }

    /// Checks the recorded history against ours; throws before any change when they disagree.
    public func verify(_ db: Database) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for row in try Migrator.applied(db) {
            if row.version > latestVersion {
                throw MigrationError.newerThanBinary(path: db.path, storeVersion: row.version, binaryVersion: latestVersion)
            }
            guard let ours = known[row.version] else { throw MigrationError.unknownVersion(path: db.path, version: row.version) }
            if ours.sha256 != row.sha256 {
                throw MigrationError.checksumMismatch(path: db.path, version: row.version, name: row.name,
                                                      recorded: row.sha256, expected: ours.sha256)
            }
        }
    }

    /// Brings the store up to `target` (default: the latest). Returns the versions applied.
    @discardableResult
    public func migrate(_ db: Database, upTo target: Int? = nil) throws -> [Int] {
        try verify(db)
        try db.write {
            try db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
                """)
        }
        var done: [Int] = []
        for migration in migrations where migration.version <= (target ?? latestVersion) {
            do {
                try db.write {
                    // Checked again under the write lock: another process may have just applied it.
                    let already = try db.scalarInt("SELECT count(*) FROM schema_migrations WHERE version = ?",
                                                   [.int(Int64(migration.version))]) ?? 0
                    guard already == 0 else { return }
                    try db.execute(migration.sql)
                    try db.run("INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)",
                               [.int(Int64(migration.version)), .text(migration.name), .text(migration.sha256)])
                    done.append(migration.version)
                }
            } catch {
                throw MigrationError.failed(path: db.path, migration: migration.name, underlying: error)
            }
        }
        // Foreign keys are checked once more after the schema changed (only then: the check reads
        // every row of every child table, 1.6 s on a store of a million labels).
        if !done.isEmpty { try db.verifyForeignKeys() }
        return done
    }
}

extension Database {
    func verifyForeignKeys() throws {
        let s = try prepare("PRAGMA foreign_key_check")
        if try s.step() {
            throw SQLiteError(code: 19, extendedCode: 787, message: "foreign key violation in table \(s.text(0))", sql: "PRAGMA foreign_key_check")
        }
    }
}
