import Foundation
import Testing
@testable import RLHFStore
import RLHFCore
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
