import Foundation
import RLHFCore

/// A big import into a store nobody else has open runs with a rollback journal instead of the WAL.
///
/// Why: in WAL mode every page an import writes is written twice, once into the WAL at COMMIT and
/// again into the database by the checkpoint that follows. For a million comparisons (568 MB of
/// pages) that was 5.4 s of a 12 s import here (strace). With a rollback journal, pages the file did
/// not have before (all of a fresh store's new pages) are written once, straight into the database,
/// and only pre-existing pages that change are copied into the journal first: the commit took 1.5 s.
///
/// Durability: while in rollback mode the connection runs `synchronous=EXTRA`, which also syncs the
/// folder after the journal is deleted at COMMIT. Under FULL a power cut just after COMMIT could
/// bring the journal back, and the next open would roll a committed import back (SQLite's own
/// documentation of EXTRA). A crash mid-import leaves a hot journal that the next connection rolls
/// back before it reads, so the store is as it was; `Store.init` then switches it to WAL again.
///
/// Concurrency: SQLite can leave WAL only while no other connection has the store open, so the
/// switch fails at once when a labeler or any other command is connected, and the import runs in
/// WAL as always. A command started during a bulk import cannot read beside it as WAL readers can:
/// its `Store.init` waits for the import, up to the busy timeout (`rlhf import --keep-wal` keeps the
/// store readable instead, at the slower commit).
extension Store {
    /// Input files at least this big get the rollback journal (`ImportOptions.bulkJournalMinimumBytes`).
    public static let defaultBulkJournalMinimumBytes = 16 << 20

    /// Runs `body` (one import) with a rollback journal when the input `file` is at least
    /// `minimumBytes` long and this is the store's only connection; else in WAL. `body` is told which.
    func withBulkJournal<T>(file: String, minimumBytes: Int?, _ body: (_ rollbackJournal: Bool) throws -> T) throws -> T {
        // Standard input and pipes are not `.regular`; a `.gz` file counts compressed.
        guard let minimumBytes, !db.isInTransaction, case .regular(let size) = FileKind.of(file), size >= minimumBytes,
              leaveWAL() else { return try body(false) }
        defer { returnToWAL() }
        rollbackJournalImports += 1
        return try body(true)
    }

    /// The current journal mode, lowercased ("wal", "delete", ...).
    public func journalMode() throws -> String {
        try db.scalarText("PRAGMA journal_mode")?.lowercased() ?? ""
    }

    /// True when the store now has a rollback journal (and `synchronous=EXTRA`). Leaving WAL
    /// checkpoints it first. SQLite 3.40 does not call the busy handler for this switch; running it
    /// without one keeps it from ever waiting 30 s on versions that might.
    private func leaveWAL() -> Bool {
        guard (try? db.execute("PRAGMA synchronous = EXTRA")) != nil else { return false }
        let mode = db.withoutWaiting { try? db.scalarText("PRAGMA journal_mode = DELETE") }
        if mode?.lowercased() == "delete" { return true }
        try? db.execute("PRAGMA synchronous = FULL")
        return false
    }

    /// Back to WAL, retrying while a command that opened the store meanwhile holds a lock (it may
    /// switch the store itself, which is as good). Should this still fail, the store stays correct
    /// with its rollback journal and the next `Store.init` switches it.
    private func returnToWAL() {
        _ = try? Store.switchToWAL(db)
        try? db.execute("PRAGMA synchronous = FULL")
    }
}
