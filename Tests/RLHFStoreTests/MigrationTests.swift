import Foundation
import Testing
@testable import RLHFStore
import RLHFCore
import RLHFData
import RLHFTestSupport

@Suite struct MigrationTests {
    @Test func embeddedMigrationsEqualTheSQLFiles() throws {
        let folder = TestPaths.repo("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == EmbeddedMigrations.all.count, "migrations/ and the embedded copy list different files: run tools/embed-migrations")
        for (file, embedded) in zip(files, EmbeddedMigrations.all) {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(file))
            #expect(file == embedded.name + ".sql")
            let same = Array(bytes) == Array(embedded.sql.utf8)
            #expect(same, "\(file) differs from its embedded copy: run tools/embed-migrations")
            #expect(Int(file.prefix(4)) == embedded.version)
        }
    }

    @Test func generatorReproducesTheCommittedSwiftFile() throws {
        let process = Process()
        process.executableURL = TestPaths.repo("tools/embed-migrations")
        process.arguments = ["--stdout"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let generated = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let committed = try Data(contentsOf: TestPaths.repo("Sources/RLHFStore/Migrations/EmbeddedMigrations.swift"))
        let same = generated == committed
        #expect(same, "EmbeddedMigrations.swift is stale: run tools/embed-migrations")
    }

    @Test func migratesFromEmptyAndRecordsChecksums() throws {
        let t = try TemporaryStore()
        #expect(t.store.schemaVersion == Migrator().latestVersion)
        let applied = try Migrator.applied(t.store.db)
        #expect(applied.map(\.version) == EmbeddedMigrations.all.map(\.version))
        for (row, migration) in zip(applied, EmbeddedMigrations.all) { #expect(row.sha256 == SHA256.hex(migration.sql)) }
        #expect(try t.store.storeID().count == 32)
        // Opening again applies nothing.
        let again = try Store(path: t.path)
        #expect(again.upgradedVersions.isEmpty)
    }

    @Test func migratesFromEveryEarlierVersion() throws {
        for version in EmbeddedMigrations.all.map(\.version) {
            let dir = TemporaryDirectory()
            let path = dir.file("old.sqlite")
            do {
                let db = try Database(path: path)
                try db.execute("PRAGMA foreign_keys = ON")
                try Migrator().migrate(db, upTo: version)
                #expect(try Migrator.applied(db).last?.version == version)
            }
            let store = try Store(path: path)
            #expect(store.schemaVersion == Migrator().latestVersion)
            #expect(store.upgradedVersions == EmbeddedMigrations.all.map(\.version).filter { $0 > version })
        }
    }

    /// A version-3 store with imported data: after 0004 its provenance reads the same through
    /// completion_origins, the label indexes serve the queue's lookups, and importing the same file
    /// again adds nothing.
    @Test func version3DataSurvivesMigration4() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("v3.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("PRAGMA foreign_keys = ON")
            try Migrator().migrate(db, upTo: 3)
            try db.write {
                let now = SQLValue.text("2025-01-01T00:00:00.000Z")
                try db.run("INSERT INTO prompts (id, text, hash, source, created_at) VALUES (1, 'p', ?, 'import:old.jsonl', ?)", [.blob(SHA256.hash("p")), now])
                for (id, text) in [(1, " a"), (2, " b")] {
                    try db.run("INSERT INTO completions (id, prompt_id, text, hash, created_at) VALUES (?, 1, ?, ?, ?)", [.int(Int64(id)), .text(text), .blob(SHA256.hash(text)), now])
                }
                try db.run("INSERT INTO arrivals (id, origin, source, created_at) VALUES (1, 'imported', 'import:old.jsonl', ?)", [now])
                try db.execute("INSERT INTO completion_provenance (completion_id, arrival_id) VALUES (1, 1), (2, 1)")
                try db.execute("INSERT INTO annotators (id, name) VALUES (1, 'ann')")
                try db.run("""
                    INSERT INTO labels (prompt_id, first_id, second_id, winner, annotator_id, source, external_id, created_at)
                    VALUES (1, 1, 2, 'first', NULL, 'imported:old.jsonl', '', ?1), (1, 1, 2, 'second', 1, 'human', NULL, ?1)
                    """, [now])
            }
        }
        let store = try Store(path: path)
        #expect(store.upgradedVersions == [4])
        #expect(try store.count("SELECT count(*) FROM completion_origins WHERE origin = 'imported' AND source = 'import:old.jsonl'") == 2)
        #expect(try store.count("SELECT count(*) FROM current_labels") == 2)
        func plan(_ sql: String, _ values: [SQLValue]) throws -> String {
            var details: [String] = []
            try store.forEachRow("EXPLAIN QUERY PLAN " + sql, values) { details.append($0.text(3)) }
            return details.joined(separator: "; ")
        }
        #expect(try plan("SELECT id FROM labels WHERE annotator_id = ? AND first_id = ? AND second_id = ?", [.int(1), .int(1), .int(2)])
            .contains("labels_by_annotator_pair"))
        #expect(try plan("SELECT id FROM labels WHERE annotator_id = ? ORDER BY id", [.int(1)]).contains("labels_by_annotator"))
        #expect(try store.count("SELECT count(*) FROM labels WHERE annotator_id = 1") == 1)
        // The same file again (same arrival): nothing new, and no provenance twice.
        let file = dir.file("old.jsonl")
        try Data(#"{"prompt": "p", "chosen": " a", "rejected": " b"}"#.utf8 + [10]).write(to: URL(fileURLWithPath: file))
        let before = try store.fingerprint()
        let summary = try store.importJSONL(try DataFile.lineReader(path: file), file: file, options: ImportOptions(kind: .preferences))
        #expect(summary.newRecords == 0 && summary.existingRecords == 1)
        #expect(try store.fingerprint() == before)
    }

    @Test func refusesAStoreWhoseChecksumDiffers() throws {
        let t = try TemporaryStore()
        try t.store.db.execute("UPDATE schema_migrations SET sha256 = 'deadbeef' WHERE version = 1")
        #expect {
            _ = try Store(path: t.path)
        } throws: { error in
            guard case MigrationError.checksumMismatch(_, let version, _, _, _) = error else { return false }
            return version == 1 && "\(error)".contains("never be edited")
        }
    }

    @Test func refusesAStoreFromANewerBinaryWithoutChangingIt() throws {
        let t = try TemporaryStore()
        try t.store.db.execute("INSERT INTO schema_migrations (version, name, sha256) VALUES (9999, '9999_future', 'x')")
        #expect {
            _ = try Store(path: t.path)
        } throws: { error in
            guard case MigrationError.newerThanBinary(_, let found, let known) = error else { return false }
            return found == 9999 && known == Migrator().latestVersion
        }
        let db = try Database(path: t.path)
        #expect(try db.scalarInt("SELECT count(*) FROM schema_migrations") == Int64(EmbeddedMigrations.all.count + 1))
    }

    @Test func aMissingStoreIsAClearError() {
        let dir = TemporaryDirectory()
        #expect {
            _ = try Store(path: dir.file("nope.sqlite"))
        } throws: { error in "\(error)".contains("rlhf init") }
        #expect(!FileManager.default.fileExists(atPath: dir.file("nope.sqlite")))
    }

    @Test func pragmasAreSetForDurability() throws {
        let t = try TemporaryStore()
        #expect(try t.store.db.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try t.store.db.scalarInt("PRAGMA synchronous") == 2)   // FULL
        #expect(try t.store.db.scalarInt("PRAGMA foreign_keys") == 1)
        #expect(try t.store.db.scalarInt("PRAGMA busy_timeout")! > 0)
    }
}
