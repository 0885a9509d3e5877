import Foundation
import Testing
import RLHFModel
import RLHFTestSupport

/// Parity with the PyTorch / transformers reference vectors (../shared/reference/gpt2-parity/README.md).
@Suite struct ParityTests {
    static let directory = TestPaths.shared("reference/gpt2-parity").path

    static func expectClose(_ name: String, _ actual: [Float], _ expected: [Float],
                            relative: Double = 1e-4, absolute: Double = 1e-5) {
        let report = Tolerance.compare(name, actual: actual, expected: expected, relative: relative, absolute: absolute)
        print("parity \(report)")
        #expect(report.passed, "\(report)")
    }

    @Test func languageModelCase() throws {
        let model = try Checkpoint.load(from: Self.directory).model
        let data = try SafetensorsFile(path: Self.directory + "/lm_case.safetensors")
        let ids = try data.readInt64("input_ids").map { Int32($0) }
        let targets = try data.readInt64("targets").map { Int32($0) }
        let batch = TokenBatch(batchSize: 2, sequenceLength: 16, tokens: ids)
        try model.forward(batch)
        Self.expectClose("logits", model.logits(), try data.readFloats("logits"))
        let result = try model.crossEntropy(targets: targets)
        Self.expectClose("loss", [result.loss], try data.readFloats("loss"))
        #expect(result.count == 32)
        model.zeroGradients()
        model.backward(result.gradients)
        for tensor in model.layout.tensors {
            let name = HuggingFaceNames.name(tensor)
            Self.expectClose("grad." + name, Array(model.view(tensor, gradient: true)), try data.readFloats("grad." + name))
        }
        let adamw = AdamW(config: AdamWConfig(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1,
                                              decayAllTensors: true), layout: model.layout)
        adamw.update(parameters: model.parameters, gradients: model.gradients!, learningRate: 1e-3)
        for tensor in model.layout.tensors {
            let name = HuggingFaceNames.name(tensor)
            Self.expectClose("adamw1." + name, Array(model.view(tensor)), try data.readFloats("adamw1." + name))
        }
    }

    @Test func rewardModelCase() throws {
        let model = try Checkpoint.load(from: Self.directory, scalarHead: true).model
        let data = try SafetensorsFile(path: Self.directory + "/rm_case.safetensors")
        let headWeight = try data.readFloats("head.weight"), headBias = try data.readFloats("head.bias")
        let w = model.layout.tensor(.scalarHeadWeight)!, b = model.layout.tensor(.scalarHeadBias)!
        for (i, value) in headWeight.enumerated() { model.parameters[w.offset + i] = value }
        model.parameters[b.offset] = headBias[0]

        let chosen = try data.readInt64("chosen_ids"), rejected = try data.readInt64("rejected_ids")
        let chosenLast = try data.readInt64("chosen_last").map(Int.init)
        let rejectedLast = try data.readInt64("rejected_last").map(Int.init)
        let T = 16
        let last = chosenLast + rejectedLast
        let batch = TokenBatch(batchSize: 4, sequenceLength: T, tokens: (chosen + rejected).map { Int32($0) },
                               lengths: last.map { $0 + 1 })
        try model.forward(batch)
        let rewards = try model.scalars(at: last)
        Self.expectClose("reward_chosen", Array(rewards[0..<2]), try data.readFloats("reward_chosen"))
        Self.expectClose("reward_rejected", Array(rewards[2..<4]), try data.readFloats("reward_rejected"))
        // Bradley-Terry: loss = mean_i -log sigmoid(r_c - r_r); d/d r_c = -sigmoid(r_r - r_c) / pairs.
        var loss = 0.0
        var dRewards = [Float](repeating: 0, count: 4)
        for i in 0..<2 {
            let margin = Double(rewards[i] - rewards[i + 2])
            loss += log1p(exp(-margin)) / 2
            let g = Float(-1 / (1 + exp(margin)) / 2)
            dRewards[i] = g
            dRewards[i + 2] = -g
        }
        Self.expectClose("loss", [Float(loss)], try data.readFloats("loss"))
        model.zeroGradients()
        model.backward(.scalars(at: last, gradients: dRewards, batchSize: 4, sequenceLength: T))
        for tensor in model.layout.tensors {
            let name = ModelFixtures.parityName(tensor)
            Self.expectClose("grad." + name, Array(model.view(tensor, gradient: true)), try data.readFloats("grad." + name))
        }
    }

    /// The after_adamw folder is a plain Hugging Face directory; logprobs_case.json is what transformers
    /// computes for one sequence with it.
    @Test func logProbabilitiesOfHuggingFaceFolder() throws {
        let folder = Self.directory + "/after_adamw"
        let model = try Checkpoint.load(from: folder).model
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/logprobs_case.json"))) as! [String: Any]
        let ids = (json["ids"] as! [NSNumber]).map(\.intValue)
        let expected = (json["logprobs"] as! [NSNumber]).map(\.doubleValue)
        let result = try SequenceLogProbabilities.compute(model: model, ids: ids)
        Self.expectClose("logprobs", result.logProbabilities, expected.map { Float($0) })
        let perplexity = exp(-expected.reduce(0, +) / Double(expected.count))
        Self.expectClose("perplexity", [Float(result.perplexity)], [Float(perplexity)])
    }
}

/// The reward model's shortcut (`forward(_:readingOnlyAt:)`: the last block after attention and ln_f at
/// the read positions only) gives the same rewards and every gradient as the full trunk.
@Suite struct ReadRowsTests {
    @Test(arguments: [1, 2]) func readingOnlyAtTheEndIndexMatchesTheFullTrunk(layers: Int) throws {
        let config = GPT2Config(vocabSize: 67, contextLength: 16, layers: layers, heads: 3, channels: 36)
        let model = try Fixtures.model(config)
        let batch = Fixtures.batch(config)
        let positions = Fixtures.lengths.map { $0 - 1 }
        let dRewards = Fixtures.gaussians(Fixtures.B, seed: 21)
        let heads = HeadGradients.scalars(at: positions, gradients: dRewards, batchSize: Fixtures.B, sequenceLength: Fixtures.T)

        try model.forward(batch)
        let full = try model.scalars(at: positions)
        model.zeroGradients()
        model.backward(heads)
        let fullGradients = model.gradients!.array

        try model.forward(batch, readingOnlyAt: positions)
        let fast = try model.scalars(at: positions)
        model.zeroGradients()
        model.backward(heads)
        ParityTests.expectClose("rewards", fast, full, relative: 1e-5, absolute: 1e-6)
        for tensor in model.layout.tensors {
            ParityTests.expectClose("grad." + HuggingFaceNames.name(tensor), Array(model.view(tensor, gradient: true)),
                                    Array(fullGradients[tensor.offset..<(tensor.offset + tensor.count)]), relative: 1e-4, absolute: 1e-6)
        }
        // Another position than the one run forward for is refused.
        #expect(throws: ModelError.self) { _ = try model.scalars(at: positions.map { max(0, $0 - 1) }) }
    }
}
