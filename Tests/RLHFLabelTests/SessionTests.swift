import Foundation
import Testing
import RLHFCore
import RLHFData
@testable import RLHFLabel
import RLHFStore
import RLHFTestSupport

@Suite struct SessionTests {
    @Test func decisionsLandWithWinnerStrengthTieKindAndShownOrder() throws {
        let t = try labelingStore(prompts: 3, completions: 2)
        let s = try session(t, "alice", clock: ManualClock())
        let (events, messages) = try scripted(s, ["a:3", "b", "tie:both-bad"])
        #expect(messages == ["no pair left to label for alice"])
        let pairs = events.filter { $0["event"] == .string("pair") }
        let labels = events.filter { $0["event"] == .string("label") }
        #expect(pairs.count == 3 && labels.count == 3)
        for (pair, label) in zip(pairs, labels) {
            let shown = pair["shown"]!.arrayValue!.map { Int64($0.intValue!) }
            let id = label["label_id"]!.intValue!
            let row = try t.store.db.prepare("SELECT winner, strength, tie_kind, shown_first, first_id FROM labels WHERE id = ?")
            try row.bind([.int(Int64(id))])
            #expect(try row.step())
            let first = row.int64(4)
            // shown_first records which completion (by id) was on screen first.
            #expect(row.text(3) == (shown[0] == first ? "first" : "second"))
            switch labels.firstIndex(of: label)! {
            case 0: // "a:3": the completion shown first wins, strongly
                #expect(row.text(0) == (shown[0] == first ? "first" : "second"))
                #expect(row.int(1) == 3)
            case 1: // "b": the completion shown second wins, strength unknown
                #expect(row.text(0) == (shown[1] == first ? "first" : "second"))
                #expect(row.isNull(1))
            default:
                #expect(row.text(0) == "tie" && row.text(2) == "both-bad")
            }
            try row.reset()
        }
    }

    @Test func shownOrderIsBalancedAndSeeded() throws {
        let t = try labelingStore(prompts: 200, completions: 2)
        let clock = ManualClock()
        let s = try session(t, "alice", clock: clock)
        var firstShownFirst = 0
        var orders: [Bool] = []
        while let offered = try s.next() {
            orders.append(offered.firstShownFirst)
            if offered.firstShownFirst { firstShownFirst += 1 }
            _ = try s.decide(.choose(shownFirst: true, strength: nil))
        }
        #expect(orders.count == 200)
        #expect((70...130).contains(firstShownFirst), "shown order should be random per pair: \(firstShownFirst)/200 first-first")
        // Same seed and annotator on a fresh store: the same pairs in the same order, shown the same way.
        let t2 = try labelingStore(prompts: 200, completions: 2)
        let s2 = try session(t2, "alice", clock: ManualClock())
        var orders2: [Bool] = []
        while let offered = try s2.next() {
            orders2.append(offered.firstShownFirst)
            _ = try s2.decide(.skip)
        }
        #expect(orders == orders2)
    }

    @Test func undoSupersedesExactlyTheLastLabelAndOffersItAgain() throws {
        let t = try labelingStore(prompts: 3, completions: 2)
        let s = try session(t, "alice", clock: ManualClock())
        let (events, _) = try scripted(s, ["a", "b", "undo", "tie", "quit"])
        let labels = events.filter { $0["event"] == .string("label") }.map { $0["label_id"]!.intValue! }
        let undo = try #require(events.first { $0["event"] == .string("undo") })
        #expect(undo["label_id"]!.intValue! == labels[1])
        // Offered: P0, P1, P2; after the undo of P1's label, P1 again (judged a tie), then P2 again.
        let pairsOffered = events.filter { $0["event"] == .string("pair") }.map { "\($0["first_id"]!.intValue!)-\($0["second_id"]!.intValue!)" }
        #expect(pairsOffered.count == 5)
        #expect(pairsOffered[3] == pairsOffered[1])
        #expect(pairsOffered[4] == pairsOffered[2])
        #expect(try t.store.count("SELECT count(*) FROM labels WHERE id = \(labels[1]) AND superseded_by IS NOT NULL") == 1)
        #expect(try t.store.count("SELECT count(*) FROM labels WHERE id = \(labels[0]) AND superseded_by IS NULL") == 1)
        #expect(try t.store.count("SELECT count(*) FROM current_labels") == 2)
        #expect(try t.store.count("SELECT count(*) FROM labels WHERE kind = 'undo'") == 1)
    }

    @Test func backRelabelsAnEarlierPairBySupersedingIt() throws {
        let t = try labelingStore(prompts: 4, completions: 2)
        let s = try session(t, "alice", clock: ManualClock())
        let (events, _) = try scripted(s, ["a", "a", "a", "back", "back", "b", "b", "a", "quit"])
        let labels = events.filter { $0["event"] == .string("label") }
        // Three labels, then back twice to the second one: relabeled (supersedes label 2), then the third
        // (supersedes label 3), then the fourth pair from the queue.
        #expect(labels.count == 6)
        #expect(labels[3]["supersedes"]!.intValue! == labels[1]["label_id"]!.intValue!)
        #expect(labels[4]["supersedes"]!.intValue! == labels[2]["label_id"]!.intValue!)
        #expect(labels[5]["supersedes"]!.isNull)
        let current = try t.store.currentByAnnotator()
        #expect(current.count == 4 && !current.values.contains { $0.hasSuffix("DUPLICATE") })
    }

    @Test func quitAndResumeContinueWhereTheAnnotatorStopped() throws {
        let t = try labelingStore(prompts: 5, completions: 2)
        let clock = ManualClock()
        let first = try session(t, "alice", clock: clock)
        let (events, _) = try scripted(first, ["a", "quit"])
        let pending = events.last { $0["event"] == .string("pair") }!
        clock.advance(seconds: 60)
        // Another annotator meanwhile does not get the pair alice holds.
        let bob = try session(t, "bob", clock: clock)
        var bobPairs: [String] = []
        while let p = try bob.next() { bobPairs.append("\(p.pair.first)-\(p.pair.second)"); _ = try bob.decide(.skip) }
        #expect(!bobPairs.contains("\(pending["first_id"]!.intValue!)-\(pending["second_id"]!.intValue!)"))
        let resumed = try session(t, "alice", clock: clock)
        let offered = try #require(try resumed.next())
        #expect(offered.pair.first == Int64(pending["first_id"]!.intValue!) && offered.pair.second == Int64(pending["second_id"]!.intValue!))
    }

    @Test func skipRemovesThePairForThatAnnotatorOnly() throws {
        let t = try labelingStore(prompts: 1, completions: 2)
        let clock = ManualClock()
        let alice = try session(t, "alice", clock: clock)
        let skipped = try #require(try alice.next())
        #expect(try alice.decide(.skip) == .skipped(skipped.pair))
        #expect(try alice.next() == nil)
        #expect(try session(t, "alice", clock: clock).next() == nil)
        let bob = try session(t, "bob", clock: clock)
        #expect(try bob.next()?.pair == skipped.pair)
    }

    @Test func overlapTwoBringsEachPairToExactlyTwoAnnotators() throws {
        let t = try labelingStore(prompts: 10, completions: 3)   // 30 pairs
        let clock = ManualClock()
        for name in ["a1", "a2", "a3"] {
            let s = try session(t, name, clock: clock) { $0.overlap = 2 }
            while try s.next() != nil { _ = try s.decide(.choose(shownFirst: true, strength: nil)) }
        }
        var perPair: [String: Int] = [:]
        try t.store.forEachRow("SELECT first_id, second_id, count(*) FROM current_labels GROUP BY 1, 2") { perPair["\($0.int64(0))-\($0.int64(1))"] = $0.int(2) }
        #expect(perPair.count == 30)
        #expect(perPair.values.allSatisfy { $0 == 2 })
    }

    @Test func importedLabelsCountTowardOverlap() throws {
        let t = try TemporaryStore()
        let path = try t.write(#"{"prompt": "p", "chosen": " a", "rejected": " b"}"# + "\n", to: "x.jsonl")
        _ = try t.store.importJSONL(try DataFile.lineReader(path: path), file: path, options: ImportOptions(kind: .preferences))
        #expect(try session(t, "alice", clock: ManualClock()).next() == nil)
        #expect(try session(t, "alice", clock: ManualClock()) { $0.overlap = 2 }.next() != nil)
    }

    @Test func anExpiredLeaseReturnsThePair() throws {
        let t = try labelingStore(prompts: 1, completions: 2)
        let clock = ManualClock()
        let alice = try session(t, "alice", clock: clock)
        let held = try #require(try alice.next())
        #expect(try session(t, "bob", clock: clock).next() == nil)   // claimed
        clock.advance(seconds: 9 * 60)
        try alice.touch()                                            // a keypress renews the lease
        clock.advance(seconds: 9 * 60)
        #expect(try session(t, "bob", clock: clock).next() == nil)   // still held: 9 min since the keypress
        clock.advance(seconds: 2 * 60)
        let bob = try session(t, "bob", clock: clock)
        #expect(try bob.next()?.pair == held.pair)                   // expired: bob gets it
        _ = try bob.decide(.choose(shownFirst: true, strength: nil))
        // Alice's late label is still accepted and counted: the pair now has two current labels.
        let late = try alice.decide(.choose(shownFirst: false, strength: nil))
        guard case .saved = late else { Issue.record("late label refused: \(late)"); return }
        #expect(try t.store.count("SELECT count(*) FROM current_labels") == 2)
        #expect(try t.store.stats().lateLabels == 1)
    }

    @Test func guidelinesVersionIsRecordedWithEveryLabel() throws {
        let t = try labelingStore(prompts: 2, completions: 2)
        #expect(try t.store.setGuidelines("Prefer the kinder reply.") == 1)
        _ = try scripted(try session(t, "alice", clock: ManualClock()), ["a"])
        #expect(try t.store.setGuidelines("Prefer the kinder, shorter reply.") == 2)
        _ = try scripted(try session(t, "alice", clock: ManualClock()), ["a"])
        var versions: [Int] = []
        try t.store.forEachRow("SELECT guideline_version FROM labels ORDER BY id") { versions.append($0.int(0)) }
        #expect(versions == [1, 2])
    }

    @Test func timeTakenIsRecorded() throws {
        let t = try labelingStore(prompts: 1, completions: 2)
        let clock = ManualClock()
        let s = try session(t, "alice", clock: clock)
        _ = try s.next()
        clock.advance(seconds: 4.5)
        _ = try s.decide(.choose(shownFirst: true, strength: .clear))
        #expect(try t.store.db.scalarText("SELECT seconds FROM labels") == "4.5")
    }

    @Test func badLinesAreReportedAndSaveNothing() throws {
        let t = try labelingStore(prompts: 2, completions: 2)
        let (events, messages) = try scripted(try session(t, "alice", clock: ManualClock()), ["maybe", "a:7", "tie:3", "a"])
        #expect(messages.count == 3)
        #expect(messages[0].hasPrefix("line 1: 'maybe' is not a decision"))
        #expect(messages[1].hasPrefix("line 2:") && messages[2].hasPrefix("line 3:"))
        #expect(events.filter { $0["event"] == .string("label") }.count == 1)
        #expect(try t.store.count("SELECT count(*) FROM labels") == 1)
    }

    /// Any mix of labels, undo, back and relabel leaves exactly one current label per annotator per pair.
    @Test(arguments: [1, 2, 3, 4, 5])
    func currentLabelsHoldOneLabelPerAnnotatorPerPair(seed: UInt64) throws {
        let t = try labelingStore(prompts: 6, completions: 3)
        var random = SeededRandom(seed: seed)
        let clock = ManualClock()
        let vocabulary = ["a", "b", "a:1", "b:3", "tie", "tie:both-good", "undo", "back", "back", "skip"]
        for name in ["x", "y"] {
            let lines = (0..<80).map { _ in vocabulary[random.nextInt(below: vocabulary.count)] }
            _ = try scripted(try session(t, name, clock: clock) { $0.overlap = 2 }, lines)
        }
        let current = try t.store.currentByAnnotator()
        #expect(!current.isEmpty)
        #expect(!current.values.contains { $0.hasSuffix("DUPLICATE") }, "\(current)")
        #expect(try t.store.count("SELECT count(*) FROM (SELECT annotator_id, first_id, second_id FROM current_labels GROUP BY 1, 2, 3 HAVING count(*) > 1)") == 0)
    }
}
