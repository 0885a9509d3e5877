import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFStore
import RLHFTestSupport

/// Provenance of imported completions (migration 0004 records the completions an import creates as
/// one run; completions it meets again get rows): read through `completion_origins`, every arrival of
/// a completion is listed once, whichever table holds it.
@Suite struct ImportProvenanceTests {
    /// "completion text <- source" for every imported provenance, sorted.
    func origins(_ t: TemporaryStore) throws -> [String] {
        var rows: [String] = []
        try t.store.forEachRow("""
            SELECT c.text, o.source FROM completion_origins o JOIN completions c ON c.id = o.completion_id
            WHERE o.origin = 'imported' ORDER BY 1, 2
            """) { rows.append("\($0.text(0)) <- \($0.text(1))") }
        return rows
    }

    /// 130 lines: two full chunks of the multi-row path and a remainder of the one-row path; the
    /// rejected texts repeat within the file (prompt i % 7, text i % 5).
    func fileA() -> [String] { (0..<130).map { i in trl("p\(i % 7)", " c\(i)", " r\(i % 5)") } }
    /// 70 lines whose first 30 chosen texts are in fileA too (same prompt, same text).
    func fileB() -> [String] { (100..<170).map { i in trl("p\(i % 7)", " c\(i)", " new\(i)") } }

    @Test func everyArrivalOfACompletionIsListedOnce() throws {
        let t = try TemporaryStore()
        try t.importLines(fileA(), kind: .preferences, name: "a.jsonl")
        let completionsA = try t.store.count("SELECT count(*) FROM completions")
        #expect(completionsA == 130 + 35)
        var expected = try origins(t)
        #expect(expected.count == completionsA && expected.allSatisfy { $0.hasSuffix(" <- import:a.jsonl") })

        let summary = try t.importLines(fileB(), kind: .preferences, name: "b.jsonl")
        #expect(summary.newCompletions == 70 + 40)
        // The 30 shared texts arrived twice and keep both provenances; the rest arrived once.
        expected += (100..<170).map { " c\($0) <- import:b.jsonl" } + (100..<170).map { " new\($0) <- import:b.jsonl" }
        #expect(try origins(t) == expected.sorted())
        #expect(try t.store.count("SELECT count(*) FROM completion_origins WHERE completion_id IN (SELECT id FROM completions WHERE text LIKE ' c1__')") == 30 * 2 + 40)
        // Only the texts that existed before b.jsonl need a provenance row of their own.
        #expect(try t.store.count("SELECT count(*) FROM completion_provenance") == 30)

        // Importing both again adds nothing at all.
        let before = try t.store.fingerprint()
        for (name, lines) in [("a.jsonl", fileA()), ("b.jsonl", fileB())] {
            let again = try t.importLines(lines, kind: .preferences, name: name)
            #expect(again.newRecords == 0 && again.newCompletions == 0 && again.existingRecords == lines.count)
        }
        #expect(try t.store.fingerprint() == before)

        // The labeling queue's origin filter sees both kinds of record.
        let imported = try t.store.eligibleCompletions(QueueFilter(origin: .imported)).values.reduce(0) { $0 + $1.count }
        #expect(imported == completionsA + 110)
        #expect(try t.store.eligibleCompletions(QueueFilter(origin: .generated)).isEmpty)
    }

    @Test func aGeneratedCompletionImportedLaterKeepsBothProvenances() throws {
        let t = try TemporaryStore()
        try t.importLines([trl("p", " a", " b")], kind: .preferences, name: "first.jsonl")
        let prompt = try #require(try t.store.db.scalarInt("SELECT id FROM prompts WHERE text = 'p'"))
        let arrival = try t.store.arrivalID(origin: .generated, seed: 1, now: Timestamp.now())
        #expect(try t.store.addGenerated(promptID: prompt, text: " g", arrivalID: arrival, sampleIndex: 0, now: Timestamp.now()))
        try t.importLines([trl("p", " g", " a")], kind: .preferences, name: "second.jsonl")
        var arrivals: [String] = []
        try t.store.forEachRow("""
            SELECT o.origin, ifnull(o.source, '-'), ifnull(o.sample_index, -1) FROM completion_origins o
            JOIN completions c ON c.id = o.completion_id WHERE c.text = ' g' ORDER BY 1
            """) { arrivals.append("\($0.text(0)) \($0.text(1)) \($0.int64(2))") }
        #expect(arrivals == ["generated - 0", "imported import:second.jsonl -1"])
    }

    @Test func anSFTLineRepeatedInItsFileIsNewOnce() throws {
        let t = try TemporaryStore()
        let lines = [#"{"prompt": "p", "completion": " x"}"#, #"{"prompt": "p", "completion": " x"}"#, #"{"prompt": "p", "completion": " y"}"#]
        let first = try t.importLines(lines, kind: .sft, name: "sft.jsonl")
        #expect(first.newRecords == 2 && first.existingRecords == 1 && first.newCompletions == 2)
        let again = try t.importLines(lines, kind: .sft, name: "sft.jsonl")
        #expect(again.newRecords == 0 && again.existingRecords == 3)
        // The same pairs from another file are new provenances of the same completions.
        let other = try t.importLines(lines, kind: .sft, name: "other.jsonl")
        #expect(other.newRecords == 2 && other.newCompletions == 0)
        #expect(try t.store.count("SELECT count(*) FROM completion_origins WHERE origin = 'sft'") == 4)
    }

    /// A run names completions by id range, so no completion may be deleted or renumbered (SQLite
    /// would hand a freed largest id out again). The middle completion of this run is referenced by
    /// nothing else, so only the schema's triggers stop it.
    @Test func completionsInARunCannotBeDeletedOrRenumbered() throws {
        let t = try TemporaryStore()
        let lines = [" x", " y", " z"].map { #"{"prompt": "p", "completion": "\#($0)"}"# }
        try t.importLines(lines, kind: .sft, name: "sft.jsonl")
        let middle = try #require(try t.store.db.scalarInt("SELECT id FROM completions WHERE text = ' y'"))
        let before = try t.store.fingerprint()
        #expect { try t.store.db.execute("DELETE FROM completions WHERE id = \(middle)") } throws: { "\($0)".contains("never deleted") }
        #expect { try t.store.db.execute("UPDATE completions SET id = 1000 WHERE id = \(middle)") } throws: { "\($0)".contains("keeps its id") }
        #expect(try t.store.fingerprint() == before)
        #expect(try t.store.count("SELECT count(*) FROM completion_origins WHERE origin = 'sft'") == 3)
    }
}
