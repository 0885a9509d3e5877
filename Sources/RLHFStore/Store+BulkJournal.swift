import Foundation

/// A big import into a store nobody else has open runs with a rollback journal instead of the WAL.
///
/// Why: in WAL mode every page an import writes is written twice, once into the WAL at COMMIT and
/// again into the database by the checkpoint that follows. For a million comparisons (568 MB of
/// pages) that was 5.4 s of a 12 s import here (strace). With a rollback journal, pages the file did
/// not have before (all of a fresh store's new pages) are written once, straight into the database,
/// and only pre-existing pages that change are copied into the journal first: the commit took 1.5 s.
///
/// Safety is unchanged: with `synchronous=FULL` a rollback-journal commit is as durable as a WAL one,
/// and a crash leaves a hot journal that the next connection rolls back before it reads, so the store
/// is as it was; `Store.init` then switches it to WAL again.
///
/// SQLite can leave WAL only while no other connection has the store open. The switch is tried
/// without waiting; when anyone else is connected (a labeler, a second process), the import runs in
/// WAL as always. A process that opens the store during a bulk import waits for it (busy timeout),
/// as its writes would have anyway.
extension Store {
    /// Input files at least this big get the rollback journal (`ImportOptions.bulkJournalMinimumBytes`).
    public static let defaultBulkJournalMinimumBytes = 16 << 20

    /// Runs `body` (one import) with a rollback journal when the input `file` is at least
    /// `minimumBytes` long and this is the store's only connection; else in WAL. `body` is told which.
    func withBulkJournal<T>(file: String, minimumBytes: Int?, _ body: (_ rollbackJournal: Bool) throws -> T) throws -> T {
        guard let minimumBytes, !db.isInTransaction, Store.fileSize(file).map({ $0 >= minimumBytes }) == true,
              leaveWAL() else { return try body(false) }
        defer { returnToWAL() }
        return try body(true)
    }

    /// The current journal mode, lowercased ("wal", "delete", ...).
    public func journalMode() throws -> String {
        try db.scalarText("PRAGMA journal_mode")?.lowercased() ?? ""
    }

    /// True when the store now has a rollback journal. Leaving WAL checkpoints it first.
    private func leaveWAL() -> Bool {
        let mode = db.withoutWaiting { try? db.scalarText("PRAGMA journal_mode = DELETE") }
        return mode?.lowercased() == "delete"
    }

    /// Back to WAL, waiting like any writer: a process that opened the store meanwhile may switch it
    /// first, which is as good. Should this fail, the store stays correct with its rollback journal
    /// and the next `Store.init` switches it.
    private func returnToWAL() {
        _ = try? db.scalarText("PRAGMA journal_mode = WAL")
    }

    /// The size of a regular file; nil for standard input, pipes and what cannot be read.
    static func fileSize(_ path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (attributes[.size] as? NSNumber)?.intValue
    }
}
