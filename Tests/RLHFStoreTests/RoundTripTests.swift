import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

/// Export -> import into a new store -> export gives the same bytes, ties, strength and all.
@Suite struct RoundTripTests {
    /// A store with every kind of label: imported (with and without meta), made here by two annotators
    /// with strengths, ties of each kind and shown order, superseded and undone labels, and a ranking.
    static func richStore() throws -> TemporaryStore {
        let t = try TemporaryStore()
        try t.importLines([
            #"{"prompt": "p1", "completion": " a"}"#, #"{"prompt": "p1", "completion": " b"}"#,
            #"{"prompt": "p1", "completion": " c"}"#, #"{"prompt": "p2", "completion": " x"}"#,
            #"{"prompt": "p2", "completion": " y"}"#, #"{"prompt": "p3 中文 😀", "completion": " \u0000nul"}"#,
            #"{"prompt": "p3 中文 😀", "completion": " \"quoted\""}"#,
        ], kind: .sft, name: "sft.jsonl")
        try t.importLines([trl("p2", " y", " x", extra: #","margin":0.667"#)], kind: .preferences, name: "trl.jsonl")
        let s = t.store
        func id(_ prompt: String, _ text: String) throws -> Int64 {
            try s.db.scalarInt("SELECT c.id FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE p.text = ? AND c.text = ?",
                               [.text(prompt), .text(text)])!
        }
        let p1 = try s.db.scalarInt("SELECT id FROM prompts WHERE text = 'p1'")!
        let p3 = try s.db.scalarInt("SELECT id FROM prompts WHERE text LIKE 'p3%'")!
        let (a, b, c) = (try id("p1", " a"), try id("p1", " b"), try id("p1", " c"))
        let (n, q) = (try id("p3 中文 😀", " \u{0}nul"), try id("p3 中文 😀", " \"quoted\""))
        let alice = try s.annotatorID("alice"), bob = try s.annotatorID("bob")
        let l1 = try s.insertLabel(NewLabel(promptID: p1, firstID: a, secondID: b, winner: .first, strength: .strong, shownFirst: .second, annotatorID: alice))
        try s.insertLabel(NewLabel(promptID: p1, firstID: a, secondID: b, winner: .second, strength: .slight, shownFirst: .first, annotatorID: bob))
        try s.insertLabel(NewLabel(promptID: p1, firstID: a, secondID: c, winner: .tie, tieKind: .bothGood, shownFirst: .first, annotatorID: alice))
        try s.insertLabel(NewLabel(promptID: p1, firstID: b, secondID: c, winner: .tie, tieKind: .bothBad, strength: nil, annotatorID: bob))
        try s.insertLabel(NewLabel(promptID: p3, firstID: min(n, q), secondID: max(n, q), winner: .tie, annotatorID: alice, source: "simulated"))
        // Alice changes her mind on (a, b): the new label supersedes the old one.
        let l1b = try s.insertLabel(NewLabel(promptID: p1, firstID: a, secondID: b, winner: .second, strength: .clear, shownFirst: .first, annotatorID: alice))
        try s.supersede(l1, by: l1b)
        // Bob labels (a, c) and undoes it.
        let undone = try s.insertLabel(NewLabel(promptID: p1, firstID: a, secondID: c, winner: .first, annotatorID: bob))
        try s.undoLabel(undone)
        // A ranking by bob of c > a > b.
        try s.db.write {
            try s.db.run("INSERT INTO rankings (prompt_id, annotator_id, source) VALUES (?, ?, 'human')", [.int(p1), .int(bob)])
            let r = s.db.lastInsertRowID
            for (rank, completion) in [c, a, b].enumerated() {
                try s.db.run("INSERT INTO ranking_items (ranking_id, prompt_id, rank, completion_id, shown_position) VALUES (?, ?, ?, ?, ?)",
                             [.int(r), .int(p1), .int(Int64(rank)), .int(completion), .int(Int64(2 - rank))])
            }
        }
        return t
    }

    @Test(arguments: [PreferenceFormat.trl, .hh], [false, true])
    func exportImportExportIsByteIdentical(format: PreferenceFormat, ties: Bool) throws {
        let a = try Self.richStore()
        let first = try a.export { $0.format = format; $0.includeTies = ties }
        #expect(!first.isEmpty)
        let b = try TemporaryStore()
        let path = try b.write(first, to: "exported.jsonl")
        let summary = try b.importFile(path, kind: .preferences)
        #expect(summary.newRecords == first.split(separator: "\n").count)
        let second = try b.export { $0.format = format; $0.includeTies = ties }
        #expect(Array(first.utf8) == Array(second.utf8))
        // And importing the export into the store it came from adds nothing new... except the
        // labels made there, which now exist a second time as imports? No: their meta ids match.
        let again = try b.importFile(path, kind: .preferences)
        #expect(again.newRecords == 0)
    }

    @Test func exportReadsOnlyCurrentLabelsWithRankingsExpanded() throws {
        let t = try Self.richStore()
        let lines = try t.export { $0.includeTies = true }.split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue! }
        // Current: alice (a,b) second [superseding], bob (a,b) second, alice (a,c) tie, bob (b,c) tie,
        // alice p3 tie, the imported p2 label, and the ranking's 3 pairs. Not: alice's first (a,b), bob's undone (a,c).
        #expect(lines.count == 9)
        let metas = lines.map { $0["meta"]!.objectValue! }
        #expect(metas.filter { $0["annotator"] == .string("alice") }.count == 3)
        #expect(!lines.contains { $0["prompt"] == .string("p1") && $0["chosen"] == .string(" a") && $0["rejected"] == .string(" b") && $0["meta"]!.objectValue!["annotator"] == .string("alice") })
        // The ranking c > a > b reads as c>a, c>b, a>b.
        let ranked = lines.filter { $0["meta"]!.objectValue!["annotator"] == .string("bob") && $0["meta"]!.objectValue!["winner"] == .string("chosen") }
        let pairs = Set(ranked.map { $0["chosen"]!.stringValue! + ">" + $0["rejected"]!.stringValue! })
        #expect(pairs.isSuperset(of: [" c> a", " c> b", " a> b"]))
        // Margins on every record: strong 1, clear 0.667, unknown 0.
        #expect(lines.allSatisfy { $0["margin"] != nil })
        let aliceAB = lines.first { $0["meta"]!.objectValue!["annotator"] == .string("alice") && $0["chosen"] == .string(" b") }
        #expect(aliceAB?["margin"] == .number("0.667"))
    }

    @Test func noMarginColumnWhenNoLabelHasAStrength() throws {
        let t = try TemporaryStore()
        try t.importLines([trl("p", " a", " b"), trl("q", " c", " d")], kind: .preferences)
        let text = try t.export()
        #expect(!text.contains("\"margin\""))
        #expect(text.split(separator: "\n").count == 2)
    }

    @Test func tieKindsStrengthAndShownOrderSurvive() throws {
        let a = try Self.richStore()
        let b = try TemporaryStore()
        try b.importFile(try b.write(try a.export { $0.includeTies = true }, to: "x.jsonl"), kind: .preferences)
        func summary(_ s: Store) throws -> [String] {
            var rows: [String] = []
            try s.forEachRow("""
                SELECT p.text, f.text, t.text, cl.winner, ifnull(cl.tie_kind, '-'), ifnull(cl.strength, '-'),
                       ifnull(cl.shown_first, '-'), ifnull(an.name, '-'), cl.source
                FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id JOIN completions f ON f.id = cl.first_id
                JOIN completions t ON t.id = cl.second_id LEFT JOIN annotators an ON an.id = cl.annotator_id
                """) { r in
                // Normalise to (winner text, loser text) so ids of the two stores do not matter.
                let first = r.text(1), second = r.text(2), winner = r.text(3)
                let pair = winner == "second" ? "\(second) > \(first)" : winner == "first" ? "\(first) > \(second)" : [first, second].sorted().joined(separator: " = ")
                let shown = r.text(6) == "-" ? "-" : (r.text(6) == "first" ? first : second)
                rows.append([r.text(0), pair, r.text(4), r.text(5), "shown:" + shown, r.text(7), r.text(8)].joined(separator: " | "))
            }
            return rows.sorted()
        }
        #expect(try summary(a.store) == summary(b.store))
    }
}
