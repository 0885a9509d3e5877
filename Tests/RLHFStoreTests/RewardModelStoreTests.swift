import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport

/// What the reward model reads and writes in the store: judgements with their ids (rankings as all
/// their pairs), the same judgements again by id after labels were superseded, and rewards by model.
@Suite struct RewardModelStoreTests {
    @Test func judgementsReadBackByIdEvenWhenSuperseded() throws {
        let t = try TemporaryStore()
        try t.importLines((0..<3).map { trl("Prompt \($0):", " good \($0)", " bad \($0)") }, kind: .preferences) { $0.split = .train }
        let s = t.store
        let alice = try s.annotatorID("alice")
        var completions: [Int64] = []
        try s.forEachRow("SELECT id FROM completions WHERE prompt_id = 1 ORDER BY id") { completions.append($0.int64(0)) }
        // A third completion for prompt 1, then a ranking of all three and a label on one of its pairs.
        let arrival = try s.arrivalID(origin: .sft, now: Timestamp.now())
        try s.addGenerated(promptID: 1, text: " middling", arrivalID: arrival, sampleIndex: 0, now: Timestamp.now())
        try s.forEachRow("SELECT max(id) FROM completions") { completions.append($0.int64(0)) }
        let ranking = try s.insertRanking(promptID: 1, ranked: [completions[2], completions[0], completions[1]], shownPositions: [:],
                                          annotatorID: alice, source: "human", guidelineVersion: nil, seconds: nil)
        let label = try s.insertLabel(NewLabel(promptID: 1, firstID: completions[0], secondID: completions[1], winner: .second,
                                               strength: .clear, annotatorID: alice))
        let current = try s.judgements(LabelFilter(splits: [.train]), includeTies: false)
        // 3 imported labels + 3 pairs of the ranking + alice's label.
        #expect(current.count == 7)
        #expect(current.filter { $0.rankingID == ranking }.count == 3)
        #expect(current.first { $0.labelID == label }?.pair.strength == .clear)

        let labelIDs = current.compactMap(\.labelID), rankingIDs = Array(Set(current.compactMap(\.rankingID)))
        #expect(try s.judgements(labelIDs: labelIDs, rankingIDs: rankingIDs) == current)
        // Superseded since: no longer current, still read back by id.
        let newer = try s.insertLabel(NewLabel(promptID: 1, firstID: completions[0], secondID: completions[1], winner: .first, annotatorID: alice))
        try s.supersede(label, by: newer)
        #expect(try s.judgements(LabelFilter(splits: [.train]), includeTies: false).contains { $0.labelID == label } == false)
        #expect(try s.judgements(labelIDs: labelIDs, rankingIDs: rankingIDs) == current)
    }

    @Test func rewardsAreKeptPerRewardModel() throws {
        let t = try TemporaryStore()
        try t.importLines([trl("P:", " a", " b")], kind: .preferences)
        let s = t.store
        let hash = String(repeating: "ab", count: 32)
        let id = try s.checkpointID(manifestSHA256: hash, path: "/models/rm")
        #expect(try s.checkpointID(manifestSHA256: hash, path: "/elsewhere/rm") == id)
        try s.saveRewards(checkpointID: id, [(1, 0.5, false), (2, -1.25, true)])
        try s.saveRewards(checkpointID: id, [(1, 0.75, false)])   // scoring again replaces
        let other = try s.checkpointID(manifestSHA256: String(repeating: "cd", count: 32), path: "/models/rm2")
        try s.saveRewards(checkpointID: other, [(1, 9, false)])
        let rewards = try s.rewards(checkpointID: id)
        #expect(rewards.map(\.completionID) == [1, 2] && rewards.map(\.reward) == [0.75, -1.25] && rewards.map(\.truncated) == [false, true])
        #expect(try s.rewards(checkpointID: other).map(\.reward) == [9])
    }
}
