import CSQLite
import Foundation
import RLHFCore

public enum StoreError: Error, CustomStringConvertible {
    case missing(path: String)
    case notAStore(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no store at \(path): create one with `rlhf init --store \(path)` (or set --store / $RLHF_STORE)"
        case let .notAStore(path, reason):
            return "\(path) is not an rlhf store: \(reason)"
        }
    }
}

/// The rlhf store: one SQLite file with foreign keys on, WAL journal (readers never block the
/// labeler's writes), `synchronous=FULL` (a label acknowledged on screen survives a power cut, not
/// only a crash) and a busy timeout, at the schema this binary embeds.
public final class Store {
    public let db: Database
    public let path: String
    /// Versions applied when this store was opened (empty when it was already current).
    public let upgradedVersions: [Int]
    public let wasCreated: Bool
    /// Annotator name -> id for this connection (annotators are never deleted or renamed).
    var annotatorCache: [String: Int64] = [:]
    var recordStatements: RecordStatements?
    var chunkStatementsCache: ChunkStatements?
    /// Imports this connection ran with a rollback journal (`Store+BulkJournal.swift`).
    public internal(set) var rollbackJournalImports = 0

    public enum OpenMode { case createIfMissing, mustExist }

    /// Reads map up to this much of the file (imports switch it off while they write).
    static let mmapSize: Int64 = 4 << 30

    public init(path: String, mode: OpenMode = .mustExist, busyTimeoutMilliseconds: Int32 = 30_000) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && mode == .mustExist { throw StoreError.missing(path: path) }
        self.path = path
        wasCreated = !exists
        db = try Database(path: path, options: .init(create: mode == .createIfMissing, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
        do {
            try db.execute("PRAGMA foreign_keys = ON")
            if !exists {
                // 16 KiB pages for new stores: a big import's commit writes a quarter as many WAL frames
                // and its checkpoint copies them back (commit of a million comparisons 2.8 s -> 1.7 s),
                // and the b-trees are a level shallower. Must precede the first write and WAL mode.
                try db.execute("PRAGMA page_size = 16384")
            }
            let journal = try Store.switchToWAL(db)
            if journal?.lowercased() != "wal" {
                throw StoreError.notAStore(path: path, reason: "could not switch to WAL journal (got \(journal ?? "nothing"))")
            }
            try db.execute("PRAGMA synchronous = FULL")
            // A 1 GiB page cache limit (used only as needed): big imports insert into indexes at random
            // places, and a cache that holds them avoids re-reading pages from the WAL.
            try db.execute("PRAGMA cache_size = -1048576")
            try db.execute("PRAGMA mmap_size = \(Store.mmapSize)")
            try db.execute("PRAGMA temp_store = MEMORY")
        } catch let error as SQLiteError where error.code == SQLITE_NOTADB {
            throw StoreError.notAStore(path: path, reason: error.message)
        }
        upgradedVersions = try Migrator().migrate(db)
    }

    /// `PRAGMA journal_mode = WAL`, waiting while another connection holds a lock. Entering WAL
    /// from a rollback journal (a bulk import is running, `Store+BulkJournal.swift`, or crashed)
    /// needs the store to itself, and SQLite does not call the busy handler for it: without this
    /// loop, any command started during a bulk import failed at once with "database is locked".
    static func switchToWAL(_ db: Database) throws -> String? {
        let deadline = Date().addingTimeInterval(Double(db.busyTimeoutMilliseconds) / 1000)
        while true {
            do {
                return try db.scalarText("PRAGMA journal_mode = WAL")
            } catch let error as SQLiteError where error.code == SQLITE_BUSY && Date() < deadline {
                usleep(20_000)
            }
        }
    }

    /// This store's random identity, minted at creation.
    public func storeID() throws -> String {
        try db.scalarText("SELECT store_id FROM store_info WHERE singleton = 1") ?? "unknown"
    }

    public var schemaVersion: Int {
        (try? db.scalarInt("SELECT max(version) FROM schema_migrations")).flatMap { $0 }.map(Int.init) ?? 0
    }
}
