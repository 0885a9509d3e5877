#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Losses of a reward difference d = r_first - r_second for one judgement, with their gradients: the
/// reward trainer computes rewards with the model, these turn them into a loss and a seed gradient.
public enum PreferenceLoss {
    /// Bradley-Terry (1952), as InstructGPT and TRL: -log sigmoid(r_chosen - r_rejected - margin).
    /// `margin` is Llama 2's margin loss (0 for plain BT). Returns the loss and dL/d(r_chosen - r_rejected).
    public static func bradleyTerry(chosenMinusRejected d: Double, margin: Double = 0) -> (loss: Double, gradient: Double) {
        let x = d - margin
        // -log sigmoid(x) = softplus(-x), computed without overflow.
        let loss = x > 0 ? log1p(exp(-x)) : -x + log1p(exp(x))
        let gradient = -1 / (1 + exp(x))        // d softplus(-x) / dx = -sigmoid(-x)
        return (loss, gradient)
    }

    public enum Outcome: Sendable { case firstWins, secondWins, tie }

    /// Davidson (1970), Bradley-Terry with ties: with d = r_first - r_second and nu = exp(theta),
    /// P(first) = e^{d/2} / D, P(second) = e^{-d/2} / D, P(tie) = nu / D, D = e^{d/2} + e^{-d/2} + nu.
    /// Returns -log P(outcome), dL/dd and dL/dtheta.
    public static func davidson(firstMinusSecond d: Double, logTieParameter theta: Double, outcome: Outcome)
        -> (loss: Double, dD: Double, dTheta: Double) {
        // Stable in d: factor out the larger of e^{|d|/2} and nu.
        let half = d / 2
        let terms = [half, -half, theta]
        let top = terms.max()!
        let sum = terms.reduce(0) { $0 + exp($1 - top) }
        let logD = top + log(sum)
        let pFirst = exp(half - logD), pSecond = exp(-half - logD), pTie = exp(theta - logD)
        let dLogD = (pFirst - pSecond) / 2          // d logD / dd
        switch outcome {
        case .firstWins: return (logD - half, dLogD - 0.5, pTie)
        case .secondWins: return (logD + half, dLogD + 0.5, pTie)
        case .tie: return (logD - theta, dLogD, pTie - 1)
        }
    }

    public static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }
}
