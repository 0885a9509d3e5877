import Foundation
import Testing
import RLHFCore
@testable import RLHFTrain

@Suite struct PreferenceLossTests {
    @Test func bradleyTerryMatchesItsFormulaAndFiniteDifferences() {
        for d in [-30.0, -2, -0.1, 0, 0.7, 3, 40] {
            for margin in [0.0, 0.667] {
                let (loss, gradient) = PreferenceLoss.bradleyTerry(chosenMinusRejected: d, margin: margin)
                #expect(abs(loss - (-log(1 / (1 + exp(-(d - margin)))))) < 1e-9 * max(1, loss))
                let h = 1e-5
                let fd = (PreferenceLoss.bradleyTerry(chosenMinusRejected: d + h, margin: margin).loss
                          - PreferenceLoss.bradleyTerry(chosenMinusRejected: d - h, margin: margin).loss) / (2 * h)
                #expect(abs(fd - gradient) < 1e-6, "d \(d): finite difference \(fd), gradient \(gradient)")
            }
        }
        #expect(abs(PreferenceLoss.bradleyTerry(chosenMinusRejected: 0).loss - log(2)) < 1e-12)
    }

    @Test func davidsonProbabilitiesSumToOneAndGradientsMatch() {
        for d in [-8.0, -1, 0, 0.5, 6] {
            for theta in [-2.0, 0, 1.3] {
                let p = [PreferenceLoss.Outcome.firstWins, .secondWins, .tie].map { exp(-PreferenceLoss.davidson(firstMinusSecond: d, logTieParameter: theta, outcome: $0).loss) }
                #expect(abs(p.reduce(0, +) - 1) < 1e-12)
                for outcome in [PreferenceLoss.Outcome.firstWins, .secondWins, .tie] {
                    let f = { (d: Double, t: Double) in PreferenceLoss.davidson(firstMinusSecond: d, logTieParameter: t, outcome: outcome).loss }
                    let g = PreferenceLoss.davidson(firstMinusSecond: d, logTieParameter: theta, outcome: outcome)
                    let h = 1e-5
                    #expect(abs((f(d + h, theta) - f(d - h, theta)) / (2 * h) - g.dD) < 1e-6)
                    #expect(abs((f(d, theta + h) - f(d, theta - h)) / (2 * h) - g.dTheta) < 1e-6)
                }
            }
        }
        // nu -> 0 is Bradley-Terry.
        let bt = PreferenceLoss.bradleyTerry(chosenMinusRejected: 1.5).loss
        #expect(abs(PreferenceLoss.davidson(firstMinusSecond: 1.5, logTieParameter: -40, outcome: .firstWins).loss - bt) < 1e-9)
    }

    /// Davidson on synthetic data with known strengths and tie parameter: the fitted nu comes back.
    /// 30 items, 20,000 comparisons; the standard error of log nu at this size is about 0.02, so a
    /// tolerance of 0.1 on log nu (about 10% on nu) fails only on a real bug.
    @Test func davidsonFitRecoversTheTieParameter() {
        var random = SeededRandom(seed: 5)
        let items = 30
        let truth = (0..<items).map { _ in random.nextGaussian() }
        let trueTheta = log(0.6)
        var data: [(Int, Int, PreferenceLoss.Outcome)] = []
        for _ in 0..<20_000 {
            let i = random.nextInt(below: items)
            var j = random.nextInt(below: items - 1)
            if j >= i { j += 1 }
            let d = truth[i] - truth[j]
            let denominator = exp(d / 2) + exp(-d / 2) + exp(trueTheta)
            let u = random.nextDouble() * denominator
            data.append((i, j, u < exp(d / 2) ? .firstWins : (u < exp(d / 2) + exp(-d / 2) ? .secondWins : .tie)))
        }
        var r = [Double](repeating: 0, count: items)
        var theta = 0.0
        for _ in 0..<400 {   // full-batch gradient descent: the loss is convex in (r, theta)
            var gr = [Double](repeating: 0, count: items), gt = 0.0
            for (i, j, outcome) in data {
                let g = PreferenceLoss.davidson(firstMinusSecond: r[i] - r[j], logTieParameter: theta, outcome: outcome)
                gr[i] += g.dD; gr[j] -= g.dD; gt += g.dTheta
            }
            let n = Double(data.count)
            for k in 0..<items { r[k] -= 20 * gr[k] / n }
            theta -= 2 * gt / n
        }
        #expect(abs(theta - trueTheta) < 0.1, "fitted log nu \(theta), true \(trueTheta)")
    }

    @Test func evaluationMetricsOnAHandMadeSet() {
        let judged = [
            RewardMetrics.Judged(rewardFirst: 2, rewardSecond: 0, lengthFirst: 10, lengthSecond: 20, firstWins: true),    // right, shorter won
            RewardMetrics.Judged(rewardFirst: 1, rewardSecond: 0, lengthFirst: 30, lengthSecond: 5, firstWins: false),    // wrong, shorter won
            RewardMetrics.Judged(rewardFirst: -1, rewardSecond: 3, lengthFirst: 8, lengthSecond: 9, firstWins: false),    // right, longer won
            RewardMetrics.Judged(rewardFirst: 0.5, rewardSecond: 0.4, lengthFirst: 7, lengthSecond: 7, firstWins: nil),   // tie
        ]
        let e = RewardMetrics.evaluate(judged)
        #expect(e.pairs == 3 && e.ties == 1)
        #expect(abs(e.accuracy - 2.0 / 3) < 1e-12)
        #expect(abs(e.meanMargin - (2 - 1 + 4) / 3.0) < 1e-12)
        #expect(abs(e.shorterWinsAccuracy - 2.0 / 3) < 1e-12 && abs(e.longerWinsAccuracy - 1.0 / 3) < 1e-12)
        #expect(abs(e.tieMeanAbsoluteDifference! - 0.1) < 1e-12)
        #expect(e.marginHistogram.reduce(0, +) == 3)
        #expect(e.expectedCalibrationError > 0 && e.expectedCalibrationError < 1)
        #expect(RewardMetrics.pearson([1, 2, 3], [2, 4, 6])! > 0.999999)
        // Equal lengths: the length-only rules cannot decide and count one half.
        let equal = RewardMetrics.evaluate([
            RewardMetrics.Judged(rewardFirst: 1, rewardSecond: 0, lengthFirst: 7, lengthSecond: 7, firstWins: true),
            RewardMetrics.Judged(rewardFirst: 1, rewardSecond: 0, lengthFirst: 9, lengthSecond: 7, firstWins: true),
        ])
        #expect(equal.longerWinsAccuracy == 0.75 && equal.shorterWinsAccuracy == 0.25)
        // Calibration does not depend on which completion is first: the same pairs swapped give the same
        // ECE; a model that says 0.5 on pairs the first always wins says 0.5 in both orders, where half the
        // outcomes are wins: ECE 0 (uninformative, not miscalibrated).
        let swapped = judged.map { RewardMetrics.Judged(rewardFirst: $0.rewardSecond, rewardSecond: $0.rewardFirst, lengthFirst: $0.lengthSecond,
                                                        lengthSecond: $0.lengthFirst, firstWins: $0.firstWins.map { !$0 }) }
        #expect(abs(RewardMetrics.evaluate(swapped).expectedCalibrationError - e.expectedCalibrationError) < 1e-12)
        let coinFlips = (0..<10).map { _ in RewardMetrics.Judged(rewardFirst: 0, rewardSecond: 0, lengthFirst: 1, lengthSecond: 2, firstWins: true) }
        #expect(RewardMetrics.evaluate(coinFlips).expectedCalibrationError == 0)
        // Confident and right: sigmoid(3) = 0.953 against 1, and 0.047 against 0: ECE 0.047.
        let confident = (0..<10).map { _ in RewardMetrics.Judged(rewardFirst: 3, rewardSecond: 0, lengthFirst: 1, lengthSecond: 2, firstWins: true) }
        #expect(abs(RewardMetrics.evaluate(confident).expectedCalibrationError - (1 - PreferenceLoss.sigmoid(3))) < 1e-12)
    }
}
