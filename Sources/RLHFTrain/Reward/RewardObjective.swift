/// The reward model's loss over one batch's rewards: the mean over judgements of Bradley-Terry
/// (-log sigmoid(r_chosen - r_rejected - margin)) or, with ties kept, Davidson's extension, plus TRL's
/// optional centring term. Pure arithmetic on rewards, so it is tested apart from the model.
public struct RewardObjective: Sendable, Equatable, Codable {
    public enum Ties: String, Sendable, Codable, CaseIterable {
        /// Ties are left out of training (TRL, OpenRLHF, DeepSpeed-Chat: their data has none).
        case leaveOut = "leave-out"
        /// Davidson (1970): P(tie) = nu / (e^{d/2} + e^{-d/2} + nu), nu = exp(theta) learned with the model.
        case davidson
    }

    public var ties: Ties
    /// Llama 2's margin loss: subtract the label's margin from the winner's reward difference.
    public var useMargin: Bool
    /// TRL's `center_rewards_coefficient` (Eisenstein et al. 2023, arXiv 2312.09244, Eq. 2): adds
    /// coef * mean over judgements of (r_first + r_second)^2, keeping rewards centred on 0; nil = off.
    public var centerRewardsCoefficient: Double?

    public init(ties: Ties = .leaveOut, useMargin: Bool = false, centerRewardsCoefficient: Double? = nil) {
        self.ties = ties
        self.useMargin = useMargin
        self.centerRewardsCoefficient = centerRewardsCoefficient
    }

    public struct Result: Sendable {
        /// Mean loss over the judgements that count (with the centring term).
        public var loss: Double
        /// d loss / d reward, per sequence of the batch.
        public var dRewards: [Double]
        /// d loss / d theta (Davidson's log tie parameter); 0 without Davidson.
        public var dTheta: Double
        /// Judgements counted, and among those with a winner, how many the rewards rank right.
        public var counted: Int
        public var decided: Int
        public var correct: Int
    }

    /// Loss and gradients for `rewards` (one per sequence) and the judgements between them.
    /// `logTieParameter` is Davidson's theta (unused otherwise).
    public func evaluate(rewards: [Double], comparisons: [RewardBatch.Comparison], logTieParameter: Double = 0) -> Result {
        var dRewards = [Double](repeating: 0, count: rewards.count)
        let counting = comparisons.filter { ties == .davidson || $0.outcome != .tie }
        var result = Result(loss: 0, dRewards: dRewards, dTheta: 0, counted: counting.count, decided: 0, correct: 0)
        guard !counting.isEmpty else { return result }
        let n = Double(counting.count)
        var loss = 0.0, dTheta = 0.0
        for c in counting {
            let d = rewards[c.first] - rewards[c.second]
            let margin = useMargin ? c.margin : 0
            var dD: Double
            switch (ties, c.outcome) {
            case (.leaveOut, .firstWins):
                let bt = PreferenceLoss.bradleyTerry(chosenMinusRejected: d, margin: margin)
                loss += bt.loss; dD = bt.gradient
            case (.leaveOut, .secondWins):
                let bt = PreferenceLoss.bradleyTerry(chosenMinusRejected: -d, margin: margin)
                loss += bt.loss; dD = -bt.gradient
            case (.leaveOut, .tie):
                continue
            case (.davidson, let outcome):
                // The margin shifts the difference toward the winner, as in Bradley-Terry.
                let shift = outcome == .firstWins ? -margin : (outcome == .secondWins ? margin : 0)
                let dv = PreferenceLoss.davidson(firstMinusSecond: d + shift, logTieParameter: logTieParameter, outcome: outcome)
                loss += dv.loss; dD = dv.dD; dTheta += dv.dTheta
            }
            if c.outcome != .tie {
                result.decided += 1
                if (c.outcome == .firstWins) == (d > 0) && d != 0 { result.correct += 1 }
            }
            if let coef = centerRewardsCoefficient {
                let sum = rewards[c.first] + rewards[c.second]
                loss += coef * sum * sum
                dRewards[c.first] += 2 * coef * sum / n
                dRewards[c.second] += 2 * coef * sum / n
            }
            dRewards[c.first] += dD / n
            dRewards[c.second] -= dD / n
        }
        result.loss = loss / n
        result.dRewards = dRewards
        result.dTheta = dTheta / n
        return result
    }
}

extension RewardObjective {
    /// Davidson's theta that maximises the likelihood of these judgements for fixed rewards: Newton's
    /// method on the mean loss, which is convex in theta (d loss / d theta = mean(p_tie - [tie]),
    /// d2 = mean(p_tie (1 - p_tie))). The trainer refits theta this way on the train judgements once the
    /// weights are chosen, because the stochastic steps taken during training leave it jittering by the
    /// noise of a batch's tie count.
    public static func fitLogTieParameter(rewards: [Double], comparisons: [RewardBatch.Comparison], start: Double) -> Double {
        var theta = start
        guard comparisons.contains(where: { $0.outcome == .tie }), comparisons.contains(where: { $0.outcome != .tie }) else { return theta }
        for _ in 0..<50 {
            var g = 0.0, h = 0.0
            for c in comparisons {
                let dv = PreferenceLoss.davidson(firstMinusSecond: rewards[c.first] - rewards[c.second], logTieParameter: theta,
                                                 outcome: c.outcome)
                let pTie = c.outcome == .tie ? dv.dTheta + 1 : dv.dTheta
                g += dv.dTheta
                h += pTie * (1 - pTie)
            }
            guard h > 0 else { break }
            let step = max(-1, min(1, g / h))
            theta -= step
            if abs(step) < 1e-12 { break }
        }
        return theta
    }
}
