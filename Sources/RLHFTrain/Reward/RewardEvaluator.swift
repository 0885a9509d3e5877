import RLHFModel

/// A reward model measured on a held-out dataset: every distinct completion scored once (forward only),
/// then `RewardMetrics` over the judgements (ties reported apart), plus the training objective's loss
/// without margin or centring, which early stopping watches.
public struct RewardReport: Sendable {
    public var metrics: RewardEvaluation
    /// Mean Bradley-Terry loss over pairs with a winner, or with `--ties davidson` the mean Davidson loss
    /// over all judgements, ties included.
    public var objectiveLoss: Double
    /// Reward of each sequence of the dataset.
    public var rewards: [Float]
}

public enum RewardEvaluator {
    public static func evaluate(model: GPT2, dataset: RewardDataset, ties: RewardObjective.Ties, logTieParameter: Double,
                                microBatch: Int) throws -> RewardReport {
        let rewards = try RewardForward.rewards(model: model, sequences: dataset.sequences.map(\.tokens),
                                                readPositions: dataset.sequences.map(\.endIndex), microBatch: microBatch)
        var judged: [RewardMetrics.Judged] = []
        var comparisons: [RewardBatch.Comparison] = []
        for group in dataset.groups {
            for c in group.comparisons {
                judged.append(RewardMetrics.Judged(
                    rewardFirst: Double(rewards[c.first]), rewardSecond: Double(rewards[c.second]),
                    lengthFirst: dataset.completionLengths[c.first], lengthSecond: dataset.completionLengths[c.second],
                    firstWins: c.outcome == .tie ? nil : c.outcome == .firstWins))
                comparisons.append(RewardBatch.Comparison(first: c.first, second: c.second, outcome: c.outcome))
            }
        }
        let objective = RewardObjective(ties: ties)
        let loss = objective.evaluate(rewards: rewards.map(Double.init), comparisons: comparisons, logTieParameter: logTieParameter).loss
        return RewardReport(metrics: RewardMetrics.evaluate(judged), objectiveLoss: loss, rewards: rewards)
    }
}
