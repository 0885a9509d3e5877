import Foundation
import RLHFCore
import RLHFData
import RLHFStore

/// A simulated annotator: judges a pair by the demo dataset's gold score with Bradley-Terry noise,
/// ties after Davidson (1970), a pull toward the completion shown first, and a strength that grows
/// with the gold difference. With d = gold(shown first) - gold(shown second) and z = d / noise + b:
///
///     P(first shown wins) = e^(z/2) / D,   P(second shown wins) = e^(-z/2) / D,   P(tie) = nu / D,
///     D = e^(z/2) + e^(-z/2) + nu
///
/// so without ties P(first wins) = sigmoid(z), Bradley-Terry around the gold difference. `tieRate` is
/// the tie probability at equal gold scores without bias, nu / (2 + nu); `positionBias` the chance the
/// completion shown first wins a pair of equal gold scores when it is not a tie, sigmoid(b). At zero
/// noise the annotator always picks the gold winner when there is one (z is infinite), so noise is
/// the only source of error, and the two other settings act only on pairs the gold rule calls equal.
/// Every draw comes from a stream keyed by (seed, name, pair), so a pair's judgement does not depend on
/// the order the queue offers pairs in.
public struct SimulatedAnnotator: Sendable, Equatable {
    public let name: String
    /// Bradley-Terry temperature in gold-score units (a difference of `noise` is judged right 73% of
    /// the time, before ties and bias); 0 is a perfect annotator.
    public let noise: Double
    public let tieRate: Double
    public let positionBias: Double
    /// Multiplies the time a judgement takes (careful annotators are slower).
    public let pace: Double
    public let seed: UInt64

    public init(name: String, noise: Double, tieRate: Double, positionBias: Double, pace: Double = 1, seed: UInt64) {
        precondition(noise >= 0 && (0..<1).contains(tieRate) && positionBias > 0 && positionBias < 1 && pace > 0)
        self.name = name
        self.noise = noise
        self.tieRate = tieRate
        self.positionBias = positionBias
        self.pace = pace
        self.seed = seed
    }

    /// `count` annotators `sim-1`, `sim-2`, ... whose noise spreads evenly from half to one and a half
    /// times `noise` (mean `noise`; one annotator gets `noise` itself): sim-1 is the most reliable,
    /// and the slowest.
    public static func roster(count: Int, noise: Double, tieRate: Double, positionBias: Double, seed: UInt64) -> [SimulatedAnnotator] {
        (0..<count).map { i in
            let factor = count == 1 ? 1 : 0.5 + Double(i) / Double(count - 1)
            return SimulatedAnnotator(name: "sim-\(i + 1)", noise: noise * factor, tieRate: tieRate,
                                      positionBias: positionBias, pace: 2 - factor, seed: seed)
        }
    }

    public struct Judgement: Sendable, Equatable {
        public let decision: Decision
        /// Time the judgement took: what the label records.
        public let seconds: Double
    }

    /// Judges a pair shown as `shownTexts` (first, second). `pair` keys the random stream.
    public func judge(_ pair: PairKey, shownTexts: [String]) -> Judgement {
        var random = SeededRandom(seed: streamSeed(pair))
        let first = GoldScore.breakdown(shownTexts[0]), second = GoldScore.breakdown(shownTexts[1])
        let d = Double(first.score - second.score)
        let p = probabilities(goldDifference: d)
        let u = random.nextDouble()
        let decision: Decision
        if u < p.first || u >= p.first + p.second + p.tie {   // the last guards rounding at u near 1
            decision = .choose(shownFirst: true, strength: strength(d, agrees: d > 0, random: &random))
        } else if u < p.first + p.second {
            decision = .choose(shownFirst: false, strength: strength(-d, agrees: d < 0, random: &random))
        } else {
            let kind: TieKind = first.score > 0 && second.score > 0 ? .bothGood : (first.score < 0 && second.score < 0 ? .bothBad : .plain)
            decision = .tie(kind)
        }
        // Reading time: 2.5 s plus 0.2 s a word, log-normal around that (sd 0.35 in log space).
        let median = (2.5 + 0.2 * Double(first.words + second.words)) * pace
        let seconds = (median * exp(0.35 * random.nextGaussian()) * 10).rounded() / 10
        return Judgement(decision: decision, seconds: seconds)
    }

    /// Davidson probabilities of (first shown wins, second shown wins, tie) for a gold difference
    /// (first shown minus second shown).
    public func probabilities(goldDifference d: Double) -> (first: Double, second: Double, tie: Double) {
        let bias = log(positionBias / (1 - positionBias))
        let z: Double = noise > 0 ? d / noise + bias : (d > 0 ? .infinity : (d < 0 ? -.infinity : bias))
        let nu = 2 * tieRate / (1 - tieRate)
        // Divided through by e^(|z|/2), so an infinite z gives (1, 0, 0) rather than NaN.
        let small = exp(-abs(z)), tie = nu * exp(-abs(z) / 2)
        let total = 1 + small + tie
        return z >= 0 ? (1 / total, small / total, tie / total) : (small / total, 1 / total, tie / total)
    }

    /// 1 slight, 2 clear, 3 strong from the gold difference as perceived (blurred by the noise); a
    /// choice against the gold rule, or on a pair it calls equal, is at most slight.
    func strength(_ difference: Double, agrees: Bool, random: inout SeededRandom) -> Strength {
        let perceived = abs(difference) + 0.5 * noise * random.nextGaussian()
        guard agrees else { return .slight }
        return perceived < 1.5 ? .slight : (perceived < 3 ? .clear : .strong)
    }

    func streamSeed(_ pair: PairKey) -> UInt64 {
        var h = SHA256()
        h.update("simulated|\(seed)|\(name)|\(pair.first)|\(pair.second)")
        return h.finalize().prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
