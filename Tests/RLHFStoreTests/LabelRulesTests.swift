import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFStore
import RLHFTestSupport

/// The store itself refuses to lose or rewrite a label, whatever the code above it does.
@Suite struct LabelRulesTests {
    struct Fixture {
        let t: TemporaryStore
        let prompt: Int64, a: Int64, b: Int64, c: Int64, other: Int64, alice: Int64, bob: Int64
    }

    func fixture() throws -> Fixture {
        let t = try TemporaryStore()
        try t.importLines([#"{"prompt": "p", "completion": " a"}"#, #"{"prompt": "p", "completion": " b"}"#,
                           #"{"prompt": "p", "completion": " c"}"#, #"{"prompt": "q", "completion": " z"}"#], kind: .sft)
        let ids = try (1...4).map { i in try t.store.db.scalarInt("SELECT id FROM completions ORDER BY id LIMIT 1 OFFSET \(i - 1)")! }
        return Fixture(t: t, prompt: try t.store.db.scalarInt("SELECT id FROM prompts WHERE text = 'p'")!,
                       a: ids[0], b: ids[1], c: ids[2], other: ids[3],
                       alice: try t.store.annotatorID("alice"), bob: try t.store.annotatorID("bob"))
    }

    @Test func labelsCannotBeDeletedOrRewritten() throws {
        let f = try fixture()
        let id = try f.t.store.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .first, annotatorID: f.alice))
        let before = try f.t.store.fingerprint()
        for sql in ["DELETE FROM labels WHERE id = \(id)", "UPDATE labels SET winner = 'second' WHERE id = \(id)",
                    "UPDATE labels SET strength = 3 WHERE id = \(id)", "UPDATE labels SET annotator_id = \(f.bob) WHERE id = \(id)"] {
            #expect(throws: SQLiteError.self, "\(sql)") { try f.t.store.db.write { try f.t.store.db.execute(sql) } }
        }
        #expect(try f.t.store.fingerprint() == before)
    }

    @Test func supersedeOnlyBySameAnnotatorSamePairLaterAndOnce() throws {
        let f = try fixture()
        let s = f.t.store
        let old = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .first, annotatorID: f.alice))
        let otherPair = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.c, winner: .first, annotatorID: f.alice))
        let otherAnnotator = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .second, annotatorID: f.bob))
        #expect(throws: SQLiteError.self) { try s.supersede(old, by: otherPair) }
        #expect(throws: SQLiteError.self) { try s.supersede(old, by: otherAnnotator) }
        let newer = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .second, annotatorID: f.alice))
        #expect(throws: SQLiteError.self) { try s.supersede(newer, by: old) }   // not later
        try s.supersede(old, by: newer)
        let newest = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .tie, annotatorID: f.alice))
        #expect(throws: SQLiteError.self) { try s.supersede(old, by: newest) }  // already superseded
        #expect(try s.count("SELECT count(*) FROM current_labels WHERE label_id = \(old)") == 0)
        #expect(try s.count("SELECT count(*) FROM current_labels WHERE label_id = \(newer)") == 1)
    }

    @Test func aPairMustBelongToTheLabelsPrompt() throws {
        let f = try fixture()
        // (a, other) are completions of different prompts.
        #expect(throws: SQLiteError.self) {
            try f.t.store.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.other, winner: .first, annotatorID: f.alice))
        }
        #expect(try f.t.store.count("SELECT count(*) FROM labels") == 0)
    }

    @Test func undoRemovesTheLabelFromCurrentLabelsAndKeepsTheRow() throws {
        let f = try fixture()
        let s = f.t.store
        let id = try s.insertLabel(NewLabel(promptID: f.prompt, firstID: f.a, secondID: f.b, winner: .first, strength: .clear, annotatorID: f.alice))
        let marker = try s.undoLabel(id)
        #expect(try s.count("SELECT count(*) FROM current_labels") == 0)
        #expect(try s.count("SELECT count(*) FROM labels WHERE id = \(id) AND superseded_by = \(marker) AND winner = 'first'") == 1)
        #expect(try s.count("SELECT count(*) FROM labels WHERE id = \(marker) AND kind = 'undo' AND winner IS NULL") == 1)
        #expect(try f.t.export().isEmpty)
    }

    @Test func aTieNeedsATieKindAndOnlyATieHasOne() throws {
        let f = try fixture()
        let db = f.t.store.db
        let base = "INSERT INTO labels (prompt_id, first_id, second_id, source, winner, tie_kind) VALUES (\(f.prompt), \(f.a), \(f.b), 'human', "
        #expect(throws: SQLiteError.self) { try db.write { try db.execute(base + "'tie', NULL)") } }
        #expect(throws: SQLiteError.self) { try db.write { try db.execute(base + "'first', 'plain')") } }
        #expect(throws: SQLiteError.self) { try db.write { try db.execute(base + "'left', NULL)") } }
        try db.write { try db.execute(base + "'tie', 'both-bad')") }
        #expect(throws: SQLiteError.self) {   // first must be the smaller id
            try db.write { try db.execute("INSERT INTO labels (prompt_id, first_id, second_id, source, winner) VALUES (\(f.prompt), \(f.b), \(f.a), 'human', 'first')") }
        }
    }
}
