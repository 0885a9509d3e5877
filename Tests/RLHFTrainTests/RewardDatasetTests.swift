import Foundation
import Testing
import RLHFCore
import RLHFTokenizer
import RLHFTestSupport
@testable import RLHFTrain

/// Batch assembly: one sequence per distinct completion, all judgements of a prompt in one batch, each
/// label counted once, ties and too-long completions left out and counted.
@Suite struct RewardDatasetTests {
    let serializer: Serializer

    init() throws {
        serializer = try Serializer(tokenizer: BPETokenizer(directory: TestPaths.shared("reference/gpt2-tokenizer").path))
    }

    static func judgement(_ key: String, prompt: Int64, _ a: Int64, _ b: Int64, _ outcome: PreferenceLoss.Outcome,
                          margin: Double = 0, long: Bool = false) -> RewardJudgement {
        let text = { (id: Int64) in long && id == b ? String(repeating: " very", count: 100) : " completion \(id)" }
        return RewardJudgement(key: key, promptID: prompt, prompt: "Prompt \(prompt):", firstID: a, first: text(a),
                               secondID: b, second: text(b), outcome: outcome, margin: margin)
    }

    static let judgements: [RewardJudgement] = [
        judgement("label:1", prompt: 1, 10, 11, .firstWins, margin: 0.667),
        judgement("label:2", prompt: 1, 10, 11, .secondWins),            // a second annotator on the same pair
        judgement("ranking:7:10:12", prompt: 1, 10, 12, .firstWins),     // pairs of a ranking
        judgement("ranking:7:11:12", prompt: 1, 11, 12, .firstWins),
        judgement("label:3", prompt: 2, 20, 21, .tie),
        judgement("label:4", prompt: 2, 20, 22, .secondWins),
        judgement("label:5", prompt: 3, 30, 31, .firstWins, long: true), // completion 31 cannot fit
        judgement("label:6", prompt: 3, 30, 32, .secondWins),
    ]

    @Test func eachCompletionIsSerialisedOnceAndGroupedByPrompt() throws {
        let data = RewardDataset(judgements: Self.judgements, serializer: serializer, maxLength: 32, includeTies: false)
        #expect(data.completionIDs == [10, 11, 12, 20, 22, 30, 32])
        #expect(data.groups.map(\.promptID) == [1, 2, 3])
        #expect(data.groups.map { $0.comparisons.count } == [4, 1, 1])
        #expect(data.tiesLeftOut == 1 && data.leftOut == 1 && data.comparisonCount == 6)
        // Both labels on (10, 11) count, each once, with their own outcome and margin.
        let onPair = data.groups[0].comparisons.filter { data.completionIDs[$0.first] == 10 && data.completionIDs[$0.second] == 11 }
        #expect(onPair.map(\.outcome) == [.firstWins, .secondWins] && onPair.map(\.margin) == [0.667, 0])
        // The reward is read at the end-of-text the serialiser put last.
        for s in data.sequences { #expect(s.tokens[s.endIndex] == serializer.endOfText && s.endIndex == s.tokens.count - 1) }

        let withTies = RewardDataset(judgements: Self.judgements, serializer: serializer, maxLength: 32, includeTies: true)
        #expect(withTies.tiesLeftOut == 0 && withTies.comparisonCount == 7 && withTies.completionIDs.contains(21))
    }

    @Test func batchesKeepPromptsWholeAndRunEachCompletionOnce() throws {
        let data = RewardDataset(judgements: Self.judgements, serializer: serializer, maxLength: 32, includeTies: false)
        let batches = data.batches(order: [2, 0, 1], pairsPerBatch: 2)
        // Prompt 3 alone has 1 judgement (< 2) so prompt 1 joins it; prompt 2 is the last, short batch.
        #expect(batches.map { $0.comparisons.count } == [5, 1])
        #expect(batches[0].sequences.count == 5)                   // 30, 32, 10, 11, 12: each once
        #expect(Set(batches[0].sequences).count == 5)
        for batch in batches {
            for c in batch.comparisons { #expect(c.first != c.second && c.first < batch.sequences.count && c.second < batch.sequences.count) }
            for (s, p) in zip(batch.sequences, batch.readPositions) { #expect(p == s.count - 1 && s[p] == serializer.endOfText) }
        }
        var a = SeededRandom(seed: 3), b = SeededRandom(seed: 3)
        #expect(data.shuffledGroupOrder(random: &a) == data.shuffledGroupOrder(random: &b))
        var c = SeededRandom(seed: 4)
        var list: [RewardJudgement] = []
        for i in 0..<40 {
            let p = Int64(i)
            list.append(Self.judgement("label:\(i)", prompt: p, 2 * p + 100, 2 * p + 101, .firstWins))
        }
        let many = RewardDataset(judgements: list, serializer: serializer, maxLength: 32, includeTies: false)
        let order = many.shuffledGroupOrder(random: &c)
        #expect(order.sorted() == Array(0..<40) && order != Array(0..<40))
    }

    @Test func objectiveCountsEveryJudgementOnceAndRanksCorrectly() {
        let comparisons: [RewardBatch.Comparison] = [
            .init(first: 0, second: 1, outcome: .firstWins), .init(first: 0, second: 1, outcome: .secondWins),
            .init(first: 1, second: 2, outcome: .tie),
        ]
        let rewards = [1.0, -1.0, 0.5]
        let bt = RewardObjective().evaluate(rewards: rewards, comparisons: comparisons)
        #expect(bt.counted == 2 && bt.decided == 2 && bt.correct == 1)
        let expected = (PreferenceLoss.bradleyTerry(chosenMinusRejected: 2).loss + PreferenceLoss.bradleyTerry(chosenMinusRejected: -2).loss) / 2
        #expect(abs(bt.loss - expected) < 1e-12)
        #expect(bt.dRewards[2] == 0)          // the tie is left out
        // Opposite labels on one pair: their gradients cancel exactly.
        #expect(abs(bt.dRewards[0] - (PreferenceLoss.bradleyTerry(chosenMinusRejected: 2).gradient - PreferenceLoss.bradleyTerry(chosenMinusRejected: -2).gradient) / 2) < 1e-12)
        let davidson = RewardObjective(ties: .davidson).evaluate(rewards: rewards, comparisons: comparisons, logTieParameter: 0)
        #expect(davidson.counted == 3 && davidson.dRewards[2] != 0 && davidson.dTheta != 0)
        // TRL's centring term: coef * mean (r_a + r_b)^2 over the counted judgements.
        let centred = RewardObjective(centerRewardsCoefficient: 0.01).evaluate(rewards: [3, 1, 0], comparisons: [comparisons[0]])
        #expect(abs(centred.loss - (PreferenceLoss.bradleyTerry(chosenMinusRejected: 2).loss + 0.01 * 16)) < 1e-12)
    }
}
