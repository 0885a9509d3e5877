import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

/// Big imports into a store nobody else has open run with a rollback journal (Store+BulkJournal).
/// The store must hold exactly what a WAL import gives, end in WAL, survive a crash mid-import, and
/// fall back to WAL when another connection is open.
@Suite struct BulkJournalTests {
    /// Lines with repeated prompts, a completion shared between records and an exact duplicate line.
    static func lines(_ n: Int, tag: String) -> [String] {
        var out: [String] = []
        for i in 0..<n {
            out.append(trl("\(tag) prompt \(i % 37):", " reply \(i) \"quoted\" ✓", " other \(i % 11)"))
        }
        out.append(out[5])
        return out
    }

    func importLines(_ t: TemporaryStore, _ lines: [String], name: String, bulk: Bool) throws -> ImportSummary {
        try t.importLines(lines, kind: .preferences, name: name) { $0.bulkJournalMinimumBytes = bulk ? 0 : nil }
    }

    /// A second store in `t`'s folder holding `lines`, with no connection left open (leaving WAL
    /// needs the store to itself), and its fingerprint.
    static func closedStore(_ t: TemporaryStore, _ lines: [String]) throws -> (path: String, fingerprint: String) {
        let path = t.directory.file("closed.sqlite")
        let input = try t.write(lines.joined(separator: "\n") + "\n", to: "closed.jsonl")
        let store = try Store(path: path, mode: .createIfMissing)
        _ = try store.importJSONL(try DataFile.lineReader(path: input), file: input, options: ImportOptions(kind: .preferences))
        return (path, try store.fingerprint())
    }

    @Test func aBulkImportStoresWhatAWALImportStores() throws {
        let wal = try TemporaryStore(), bulk = try TemporaryStore()
        let first = Self.lines(300, tag: "a"), second = Self.lines(2_000, tag: "b") + first.prefix(50)
        for (t, useBulk) in [(wal, false), (bulk, true)] {
            let s1 = try importLines(t, first, name: "first.jsonl", bulk: false)
            let s2 = try importLines(t, second, name: "second.jsonl", bulk: useBulk)
            #expect(s1.usedRollbackJournal == false)
            #expect(s2.usedRollbackJournal == useBulk)
            #expect(t.store.rollbackJournalImports == (useBulk ? 1 : 0))
            // The 50 repeated records are new labels: their source names the other file.
            #expect(s2.newRecords == 2_050 && s2.existingRecords == 1)
            #expect(try t.store.journalMode() == "wal")
        }
        // Export ids of labels made here start with the store's own random id: compare the rest.
        func export(_ t: TemporaryStore) throws -> String {
            try t.export { $0.includeTies = true }.replacingOccurrences(of: t.store.storeID(), with: "STORE")
        }
        let exported = try export(wal)
        #expect(exported.split(separator: "\n").count == 2_350)
        #expect(exported.contains(#""id":"STORE:1""#))
        #expect(try export(bulk) == exported)
        #expect(!FileManager.default.fileExists(atPath: bulk.path + "-journal"))
        // Importing it again adds nothing, through either journal.
        let again = try importLines(bulk, Self.lines(2_000, tag: "b"), name: "second.jsonl", bulk: true)
        #expect(again.newRecords == 0 && again.usedRollbackJournal)
        // A symbolic link to a big file counts as the file (Hugging Face caches link to blobs).
        let link = bulk.directory.file("link.jsonl")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: bulk.directory.file("second.jsonl"))
        let linked = try bulk.importFile(link, kind: .preferences) { $0.bulkJournalMinimumBytes = 100 }
        #expect(linked.usedRollbackJournal && linked.newRecords == 2_000)
    }

    @Test func smallFilesAndOtherConnectionsKeepTheWAL() throws {
        let t = try TemporaryStore()
        // The default threshold: a small file stays in WAL.
        let small = try t.importLines(Self.lines(20, tag: "s"), kind: .preferences, name: "small.jsonl")
        #expect(!small.usedRollbackJournal)
        // Another connection (a labeler, another process) is open: WAL, without waiting for it.
        let other = try Store(path: t.path)
        _ = try other.stats()
        let s = try importLines(t, Self.lines(200, tag: "o"), name: "other.jsonl", bulk: true)
        #expect(!s.usedRollbackJournal && s.newRecords == 200)
        #expect(try t.store.journalMode() == "wal" && other.journalMode() == "wal")
        #expect(try other.stats().currentLabels == 20 + 200)
    }

    /// The store's page cache is cut to 4 pages, so the import's pages spill into the file and the
    /// failure plays the journal back (with the usual 1 GiB cache, a rollback only drops the cache).
    @Test func aBadLineInABulkImportLeavesTheStoreAsItWas() throws {
        let t = try TemporaryStore()
        _ = try importLines(t, Self.lines(100, tag: "x"), name: "before.jsonl", bulk: false)
        let before = try t.store.fingerprint()
        try t.store.db.execute("PRAGMA cache_size = 4")
        let path = try t.write((Self.lines(2_000, tag: "y") + [#"{"prompt": "p", "chosen": 1}"#]).joined(separator: "\n") + "\n", to: "bad.jsonl")
        #expect(throws: ImportError.self) { try t.importFile(path, kind: .preferences) { $0.bulkJournalMinimumBytes = 0 } }
        #expect(t.store.rollbackJournalImports == 1)
        #expect(try t.store.fingerprint() == before)
        #expect(try t.store.journalMode() == "wal")
        #expect(try t.store.db.scalarText("PRAGMA synchronous") == "2")   // FULL again
    }

    /// A crash in the middle of a rollback-journal write leaves the database file half written and
    /// a hot journal beside it. Copying both while the transaction is open (its pages spilled by a
    /// tiny cache) is exactly that state; opening the copy must give the store as it was, in WAL.
    @Test func aCrashMidImportIsRolledBackWhenTheStoreIsOpenedAgain() throws {
        let t = try TemporaryStore()
        let (path, before) = try Self.closedStore(t, Self.lines(200, tag: "c"))
        let db = try Database(path: path)
        #expect(try db.scalarText("PRAGMA journal_mode = DELETE") == "delete")
        let bytesBefore = try Data(contentsOf: URL(fileURLWithPath: path))
        try db.execute("PRAGMA cache_size = 4")
        try db.execute("PRAGMA synchronous = EXTRA")
        try db.execute("BEGIN IMMEDIATE")
        for i in 0..<3_000 {
            try db.run("INSERT INTO prompts (text, hash, source) VALUES (?, randomblob(32), 'crash')", [.text(String(repeating: "x", count: 200) + "\(i)")])
        }
        let crashed = t.directory.file("crashed.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: crashed)
        try FileManager.default.copyItem(atPath: path + "-journal", toPath: crashed + "-journal")
        try db.execute("ROLLBACK")
        // The pages did reach the file: without the journal, the copy would hold half an import.
        #expect(try Data(contentsOf: URL(fileURLWithPath: crashed)) != bytesBefore)
        let reopened = try Store(path: crashed)
        #expect(try reopened.journalMode() == "wal")
        #expect(try reopened.fingerprint() == before)
        #expect(try reopened.db.scalarInt("SELECT count(*) FROM prompts WHERE source = 'crash'") == 0)
        #expect(!FileManager.default.fileExists(atPath: crashed + "-journal"))
    }

    /// A command started while a bulk import holds the store waits for it (SQLite does not call the
    /// busy handler for entering WAL; this failed at once with "database is locked").
    @Test func openingTheStoreDuringABulkImportWaitsForIt() throws {
        let t = try TemporaryStore()
        let (path, _) = try Self.closedStore(t, Self.lines(50, tag: "w"))
        let importer = try Database(path: path)
        #expect(try importer.scalarText("PRAGMA journal_mode = DELETE") == "delete")
        try importer.execute("BEGIN IMMEDIATE")
        try importer.run("INSERT INTO prompts (text, hash, source) VALUES ('held', randomblob(32), 'test')")
        let started = Locked(false)
        let opened = Locked<Result<Int64, Error>?>(nil)
        let thread = Thread {
            started.set(true)
            opened.set(Result { try Store(path: path).db.scalarInt("SELECT count(*) FROM prompts WHERE text = 'held'") ?? -1 })
        }
        thread.start()
        let deadline = Date().addingTimeInterval(60)
        while !started.get() && Date() < deadline { usleep(1_000) }
        usleep(300_000)
        #expect(started.get())
        #expect(opened.get() == nil, "the store opened while the import held it in rollback mode")
        try importer.execute("COMMIT")
        // The waiting opener may switch the store to WAL first; either way it ends in WAL.
        _ = try? importer.scalarText("PRAGMA journal_mode = WAL")
        while opened.get() == nil && Date() < deadline { usleep(10_000) }
        let count = try #require(opened.get()).get()
        #expect(count == 1)
    }
}

/// A value shared between a test and the thread it starts.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}
