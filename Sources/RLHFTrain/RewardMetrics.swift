/// What a reward model is judged by on held-out pairs (TRL and DeepSpeed-Chat users ask for more than
/// accuracy, which hides a model that learned length: `rlhf-anchors.md` row 6).
public struct RewardEvaluation: Sendable, Equatable {
    /// Pairs with a winner ranked as people did (r_chosen > r_rejected).
    public var accuracy: Double
    public var pairs: Int
    /// Ties reported apart: how many, and their mean |r_a - r_b| (small is what a tie should give).
    public var ties: Int
    public var tieMeanAbsoluteDifference: Double?
    /// Mean Bradley-Terry loss and mean margin r_chosen - r_rejected over pairs with a winner.
    public var meanLoss: Double
    public var meanMargin: Double
    /// Margin histogram: counts per bin of `RewardEvaluation.marginBins` edges.
    public var marginHistogram: [Int]
    /// Expected calibration error of sigmoid(r_a - r_b) against "a won", 10 bins, each pair counted in
    /// both orders (p against a won, 1 - p against b won), so the figure does not depend on which
    /// completion a store calls first (in imported HH data the chosen one always is).
    public var expectedCalibrationError: Double
    /// Pearson correlation of reward with completion length (characters), over every scored completion.
    public var rewardLengthCorrelation: Double?
    /// The length-only rules on the same pairs: "the longer reply wins", "the shorter reply wins". A
    /// rule cannot tell equal lengths apart, so it guesses there: such a pair counts one half.
    public var longerWinsAccuracy: Double
    public var shorterWinsAccuracy: Double

    /// Margin bin edges: (-inf, -4), [-4, -2), ..., [4, inf).
    public static let marginBins: [Double] = [-4, -2, -1, -0.5, 0, 0.5, 1, 2, 4]
}

public enum RewardMetrics {
    public struct Judged: Sendable {
        public var rewardFirst: Double
        public var rewardSecond: Double
        public var lengthFirst: Int
        public var lengthSecond: Int
        /// nil for a tie.
        public var firstWins: Bool?
        public init(rewardFirst: Double, rewardSecond: Double, lengthFirst: Int, lengthSecond: Int, firstWins: Bool?) {
            self.rewardFirst = rewardFirst
            self.rewardSecond = rewardSecond
            self.lengthFirst = lengthFirst
            self.lengthSecond = lengthSecond
            self.firstWins = firstWins
        }
    }

    public static func evaluate(_ judged: [Judged]) -> RewardEvaluation {
        var correct = 0, decided = 0
        var longer = 0.0, shorter = 0.0
        var loss = 0.0, margin = 0.0
        var histogram = [Int](repeating: 0, count: RewardEvaluation.marginBins.count + 1)
        var tieDifferences: [Double] = []
        var binP = [Double](repeating: 0, count: 10), binY = [Double](repeating: 0, count: 10), binN = [Int](repeating: 0, count: 10)
        for j in judged {
            guard let firstWins = j.firstWins else {
                tieDifferences.append(abs(j.rewardFirst - j.rewardSecond))
                continue
            }
            decided += 1
            let m = firstWins ? j.rewardFirst - j.rewardSecond : j.rewardSecond - j.rewardFirst
            if m > 0 { correct += 1 }
            margin += m
            loss += PreferenceLoss.bradleyTerry(chosenMinusRejected: m).loss
            histogram[RewardEvaluation.marginBins.firstIndex { m < $0 } ?? RewardEvaluation.marginBins.count] += 1
            let chosenLength = firstWins ? j.lengthFirst : j.lengthSecond
            let rejectedLength = firstWins ? j.lengthSecond : j.lengthFirst
            if chosenLength > rejectedLength { longer += 1 }
            if chosenLength < rejectedLength { shorter += 1 }
            if chosenLength == rejectedLength { longer += 0.5; shorter += 0.5 }
            let p = PreferenceLoss.sigmoid(j.rewardFirst - j.rewardSecond)
            for (q, y) in [(p, firstWins ? 1.0 : 0.0), (1 - p, firstWins ? 0.0 : 1.0)] {
                let bin = min(9, Int(q * 10))
                binP[bin] += q
                binY[bin] += y
                binN[bin] += 1
            }
        }
        let n = Double(max(1, decided))
        var ece = 0.0
        for b in 0..<10 where binN[b] > 0 {
            ece += Double(binN[b]) / (2 * n) * abs(binP[b] / Double(binN[b]) - binY[b] / Double(binN[b]))
        }
        var rewards: [Double] = [], lengths: [Double] = []
        for j in judged {
            rewards += [j.rewardFirst, j.rewardSecond]
            lengths += [Double(j.lengthFirst), Double(j.lengthSecond)]
        }
        return RewardEvaluation(
            accuracy: Double(correct) / n, pairs: decided, ties: tieDifferences.count,
            tieMeanAbsoluteDifference: tieDifferences.isEmpty ? nil : tieDifferences.reduce(0, +) / Double(tieDifferences.count),
            meanLoss: loss / n, meanMargin: margin / n, marginHistogram: histogram, expectedCalibrationError: ece,
            rewardLengthCorrelation: pearson(rewards, lengths),
            longerWinsAccuracy: longer / n, shorterWinsAccuracy: shorter / n)
    }

    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count > 1 else { return nil }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
