import Foundation
import Testing
import RLHFCore
import RLHFModel
import RLHFTestSupport
@testable import RLHFTrain

/// The reward step against the PyTorch reference (rm_case) and against finite differences.
@Suite struct RewardStepTests {
    static let parity = TestPaths.shared("reference/gpt2-parity").path

    static func expectClose(_ name: String, _ actual: [Float], _ expected: [Float], relative: Double = 1e-4, absolute: Double = 1e-5) {
        let report = Tolerance.compare(name, actual: actual, expected: expected, relative: relative, absolute: absolute)
        if !report.passed { print("reward step \(report)") }
        #expect(report.passed, "\(report)")
    }

    /// rm_case: 2 pairs of 16-token sequences, right-padded, reward at the last real token; mean BT loss.
    /// Run through RewardStep (with one micro-batch, and with four so the two-pass path runs too), the
    /// rewards, loss and every gradient match what PyTorch computed.
    @Test(arguments: [4, 1]) func matchesTheReferenceRewardModelCase(microBatch: Int) throws {
        let model = try Checkpoint.load(from: Self.parity, scalarHead: true).model
        let data = try SafetensorsFile(path: Self.parity + "/rm_case.safetensors")
        let w = try #require(model.layout.tensor(.scalarHeadWeight)), b = try #require(model.layout.tensor(.scalarHeadBias))
        for (i, value) in try data.readFloats("head.weight").enumerated() { model.parameters[w.offset + i] = value }
        model.parameters[b.offset] = try data.readFloats("head.bias")[0]

        let T = 16
        let ids = try data.readInt64("chosen_ids") + data.readInt64("rejected_ids")
        let last = try (data.readInt64("chosen_last") + data.readInt64("rejected_last")).map(Int.init)
        let sequences = (0..<4).map { s in ids[(s * T)...(s * T + last[s])].map(Int.init) }
        let batch = RewardBatch(sequences: sequences, readPositions: last, comparisons: [
            .init(first: 0, second: 2, outcome: .firstWins), .init(first: 3, second: 1, outcome: .secondWins),
        ])
        let result = try RewardStep.accumulate(model: model, batch: batch, objective: RewardObjective(), microBatch: microBatch)
        Self.expectClose("reward_chosen", result.rewards[0..<2].map(Float.init), try data.readFloats("reward_chosen"))
        Self.expectClose("reward_rejected", result.rewards[2..<4].map(Float.init), try data.readFloats("reward_rejected"))
        Self.expectClose("loss", [Float(result.objective.loss)], try data.readFloats("loss"))
        for tensor in model.layout.tensors {
            let name = ModelFixtures.parityName(tensor)
            Self.expectClose("grad." + name, Array(model.view(tensor, gradient: true)), try data.readFloats("grad." + name))
        }
    }

    /// A random model with every tensor far from its initial value, so no wrong formula hides.
    static func randomModel(_ config: GPT2Config, seed: UInt64) throws -> GPT2 {
        try ModelFixtures.randomModel(config, seed: seed, scalarHeadScale: 0.5)
    }

    /// The pair-loss path end to end (objective with margin, centring and Davidson ties, shared
    /// sequences, two micro-batches) against central differences of the loss in every tensor. Float
    /// forward passes with step 1e-2 carry about 1e-4 of rounding noise, hence the tolerances.
    @Test func pairLossGradientsMatchFiniteDifferences() throws {
        let config = GPT2Config(vocabSize: 67, contextLength: 16, layers: 2, heads: 3, channels: 36)
        let model = try Self.randomModel(config, seed: 11)
        var random = SeededRandom(seed: 12)
        let lengths = [13, 9, 4, 11, 7]
        let sequences = lengths.map { n in (0..<n).map { _ in random.nextInt(below: config.vocabSize) } }
        let batch = RewardBatch(sequences: sequences, readPositions: lengths.map { $0 - 1 }, comparisons: [
            .init(first: 0, second: 1, outcome: .firstWins, margin: 0.667),
            .init(first: 1, second: 2, outcome: .secondWins, margin: 0.333),
            .init(first: 0, second: 1, outcome: .secondWins),                 // a second label on the same pair
            .init(first: 3, second: 4, outcome: .tie),
            .init(first: 2, second: 4, outcome: .firstWins, margin: 1),
        ])
        let objective = RewardObjective(ties: .davidson, useMargin: true, centerRewardsCoefficient: 0.05)
        let theta = -0.3
        let result = try RewardStep.accumulate(model: model, batch: batch, objective: objective, logTieParameter: theta, microBatch: 2)
        func loss() throws -> Double {
            let r = try RewardForward.rewards(model: model, sequences: sequences, readPositions: batch.readPositions, microBatch: 5)
            return objective.evaluate(rewards: r.map(Double.init), comparisons: batch.comparisons, logTieParameter: theta).loss
        }
        #expect(abs(try loss() - result.objective.loss) < 1e-6)
        let h: Float = 1e-2
        for tensor in model.layout.tensors {
            let analytic = Array(model.view(tensor, gradient: true))
            let view = model.view(tensor)
            let picks = (0..<min(6, view.count)).map { _ in random.nextInt(below: view.count) }
            var numeric: [Float] = [], chosen: [Float] = []
            for i in picks {
                let saved = view[i]
                view[i] = saved + h
                let up = try loss()
                view[i] = saved - h
                let down = try loss()
                view[i] = saved
                numeric.append(Float((up - down) / Double(2 * h)))
                chosen.append(analytic[i])
            }
            Self.expectClose("d loss / d \(HuggingFaceNames.name(tensor))", chosen, numeric, relative: 3e-2, absolute: 2e-4)
        }
        // Davidson's tie parameter: its gradient against a central difference in theta.
        let r = try RewardForward.rewards(model: model, sequences: sequences, readPositions: batch.readPositions, microBatch: 5)
            .map(Double.init)
        let fd = (objective.evaluate(rewards: r, comparisons: batch.comparisons, logTieParameter: theta + 1e-5).loss
                  - objective.evaluate(rewards: r, comparisons: batch.comparisons, logTieParameter: theta - 1e-5).loss) / 2e-5
        #expect(abs(fd - result.objective.dTheta) < 1e-6, "d loss / d theta \(result.objective.dTheta), finite difference \(fd)")
    }
}
