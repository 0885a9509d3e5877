import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFLabel
import RLHFStore
import RLHFTestSupport

@Suite struct RankingTests {
    @Test func aRankingIsStoredAndReadAsItsPairs() throws {
        let t = try labelingStore(prompts: 2, completions: 4)
        var o = SessionOptions(annotator: "alice")
        o.limit = 1
        let s = try RankSession(store: t.store, options: o, k: 4, clock: ManualClock())
        let out = MemorySink(), err = MemorySink()
        try ScriptedLabeling(input: LineReader(source: MemorySource("xyz\ndcba\n")), output: out, messages: err).run(s)
        #expect(err.lines.first?.hasPrefix("line 1: 'xyz' is not a ranking") == true)
        let events = try out.lines.map { try JSONParser.parse($0).objectValue! }
        let shown = events[0]["shown"]!.arrayValue!.map { Int64($0.intValue!) }
        let ranked = events[1]["ranked"]!.arrayValue!.map { Int64($0.intValue!) }
        #expect(ranked == shown.reversed())
        // K(K-1)/2 = 6 pairs in current_labels, each won by the better-ranked completion.
        #expect(try t.store.count("SELECT count(*) FROM current_labels") == 6)
        var winners: [(Int64, Int64)] = []
        try t.store.forEachRow("SELECT first_id, second_id, winner FROM current_labels") {
            winners.append($0.text(2) == "first" ? ($0.int64(0), $0.int64(1)) : ($0.int64(1), $0.int64(0)))
        }
        for (winner, loser) in winners { #expect(ranked.firstIndex(of: winner)! < ranked.firstIndex(of: loser)!) }
        // Undo removes all six.
        #expect(try s.undo() != .nothingToUndo)
        #expect(try t.store.count("SELECT count(*) FROM current_labels") == 0)
    }
}
