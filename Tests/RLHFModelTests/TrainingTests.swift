import Testing
import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

@Suite struct TrainingTests {
    /// Split a batch into its halves; the micro-batches have different numbers of unmasked targets, so
    /// averaging per micro-batch (the transformers bug) would give a different gradient.
    static func halves(_ batch: TokenBatch, _ targets: [Int32]) -> [LanguageModelMicroBatch] {
        let T = batch.sequenceLength
        func part(_ rows: Range<Int>) -> LanguageModelMicroBatch {
            LanguageModelMicroBatch(
                batch: TokenBatch(batchSize: rows.count, sequenceLength: T, tokens: Array(batch.tokens[(rows.lowerBound * T)..<(rows.upperBound * T)]),
                                  lengths: Array(batch.lengths[rows])),
                targets: Array(targets[(rows.lowerBound * T)..<(rows.upperBound * T)]))
        }
        return [part(0..<(batch.batchSize / 2)), part((batch.batchSize / 2)..<batch.batchSize)]
    }

    @Test func accumulationEqualsOneBatch() throws {
        let batch = Fixtures.batch(B: 4, lengths: [13, 5, 11, 2], seed: 30)
        let targets = Fixtures.maskedTargets(batch, seed: 31)
        let whole = try Fixtures.model()
        let split = try Fixtures.model()
        let full = try whole.accumulateCrossEntropy([LanguageModelMicroBatch(batch: batch, targets: targets)])
        let parts = Self.halves(batch, targets)
        #expect(parts[0].targetCount != parts[1].targetCount, "the halves must differ in unmasked targets")
        let accumulated = try split.accumulateCrossEntropy(parts)
        #expect(full.tokens == accumulated.tokens)
        let lossReport = Tolerance.compare("accumulated loss", actual: [accumulated.loss], expected: [full.loss])
        #expect(lossReport.passed, "\(lossReport)")
        let gradientReport = Tolerance.compare("accumulated gradients", actual: split.gradients!.array,
                                               expected: whole.gradients!.array, relative: 1e-4, absolute: 1e-6)
        #expect(gradientReport.passed, "\(gradientReport)")

        // The same update: one AdamW step each.
        let a = AdamW(layout: whole.layout), b = AdamW(layout: split.layout)
        a.update(parameters: whole.parameters, gradients: whole.gradients!, learningRate: 1e-3)
        b.update(parameters: split.parameters, gradients: split.gradients!, learningRate: 1e-3)
        // Adam's first step is about lr * g / |g|, so a gradient that is mathematically zero (the key bias:
        // softmax ignores a shift shared by all keys) turns its float rounding noise into +-lr. Such
        // entries are compared as gradients (both below 1e-6) instead of as updates.
        var actual: [Float] = [], expected: [Float] = []
        for i in 0..<whole.layout.count {
            if abs(whole.gradients![i]) < 1e-6 && abs(split.gradients![i]) < 1e-6 { continue }
            actual.append(split.parameters[i])
            expected.append(whole.parameters[i])
        }
        #expect(actual.count > whole.layout.count * 9 / 10)
        let updateReport = Tolerance.compare("parameters after the accumulated update", actual: actual,
                                             expected: expected, relative: 1e-5, absolute: 1e-7)
        #expect(updateReport.passed, "\(updateReport)")

        // Per-micro-batch means would not match: the test can tell the two rules apart.
        let naive = try Fixtures.model()
        naive.zeroGradients()
        for part in parts {
            try naive.forward(part.batch)
            let result = try naive.crossEntropy(targets: part.targets, normalizer: Float(part.targetCount * 2))
            naive.backward(result.gradients)
        }
        let naiveReport = Tolerance.compare("mean-of-means gradients", actual: naive.gradients!.array,
                                            expected: whole.gradients!.array, relative: 1e-3, absolute: 1e-6)
        #expect(!naiveReport.passed, "averaging per micro-batch should differ: \(naiveReport)")
    }

    static func train(steps: Int, seed: UInt64, config: GPT2Config = Fixtures.odd) throws -> (GPT2, AdamW) {
        let model = try GPT2(config: config, scalarHead: false)
        model.initializeWeights(seed: seed)
        let optimizer = AdamW(layout: model.layout)
        var random = SeededRandom(seed: seed)
        for step in 0..<steps {
            let T = min(config.contextLength, 80)
            let lengths = (0..<3).map { _ in 1 + random.nextInt(below: T) }
            let batch = Fixtures.batch(config, T: T, lengths: lengths, seed: random.next())
            try model.accumulateCrossEntropy([.nextToken(batch)])
            let norm = GradientClipping.globalNorm(model.gradients!)
            optimizer.update(parameters: model.parameters, gradients: model.gradients!,
                             learningRate: LearningRateSchedule(peak: 1e-2, warmupSteps: 1, totalSteps: steps).learningRate(step: step),
                             gradientScale: GradientClipping.scale(norm: norm, maxNorm: 1))
        }
        return (model, optimizer)
    }

    @Test func sameSeedSameBits() throws {
        let (first, firstOptimizer) = try Self.train(steps: 4, seed: 40)
        let (second, secondOptimizer) = try Self.train(steps: 4, seed: 40)
        #expect(first.parameters.array == second.parameters.array, "parameters differ between identical runs")
        #expect(firstOptimizer.m.array == secondOptimizer.m.array && firstOptimizer.v.array == secondOptimizer.v.array)
        let (other, _) = try Self.train(steps: 4, seed: 41)
        #expect(first.parameters.array != other.parameters.array)
    }

    @Test func threadCountDoesNotChangeBits() throws {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        // Wide enough that the products are split between workers and the kernels run in several chunks.
        let config = GPT2Config(vocabSize: 300, contextLength: 80, layers: 2, heads: 3, channels: 96)
        Parallel.threads = 1
        let (single, _) = try Self.train(steps: 3, seed: 42, config: config)
        Parallel.threads = 2
        let (double, _) = try Self.train(steps: 3, seed: 42, config: config)
        #expect(single.parameters.array == double.parameters.array, "1 and 2 threads give different parameters")
    }

    @Test func trainingLowersTheLossAndMovesEveryTensor() throws {
        let model = try GPT2(config: Fixtures.odd)
        model.initializeWeights(seed: 50)
        let before = model.parameters.array
        let optimizer = AdamW(layout: model.layout)
        let batch = Fixtures.batch(lengths: [13, 13, 13], seed: 51)
        var losses: [Float] = []
        for _ in 0..<20 {
            losses.append(try model.accumulateCrossEntropy([.nextToken(batch)]).loss)
            optimizer.update(parameters: model.parameters, gradients: model.gradients!, learningRate: 1e-2)
        }
        #expect(losses.last! < losses.first! * 0.5, "loss \(losses.first!) -> \(losses.last!)")
        for tensor in model.layout.tensors {
            let changed = (tensor.offset..<(tensor.offset + tensor.count)).contains { model.parameters[$0] != before[$0] }
            #expect(changed, "\(HuggingFaceNames.name(tensor)) did not change")
        }
    }

    /// A sequence's results depend only on its own tokens: not on the pad id, the batch's other
    /// sequences, or how much padding follows it.
    @Test func paddingIsNeverRead() throws {
        let model = try Fixtures.model()
        let ids = [5, 17, 3, 66, 0, 42, 8]
        try model.forward(TokenBatch(sequences: [ids]))
        let alone = try model.logProbabilities(targets: LanguageModelMicroBatch.nextToken(TokenBatch(sequences: [ids])).targets)
        let aloneReward = try model.scalars(at: [ids.count - 1])
        for pad: Int32 in [0, 66, -7, 1_000_000] {
            let batch = TokenBatch(sequences: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], ids], sequenceLength: 13, pad: pad)
            try model.forward(batch)
            let logp = try model.logProbabilities(targets: LanguageModelMicroBatch.nextToken(batch).targets)
            let reward = try model.scalars(at: [12, ids.count - 1])
            let report = Tolerance.compare("log-probabilities with pad \(pad)", actual: Array(logp[13..<(13 + ids.count)]),
                                           expected: alone, relative: 1e-6, absolute: 1e-6)
            #expect(report.passed, "\(report)")
            #expect(abs(reward[1] - aloneReward[0]) <= 1e-5, "reward with pad \(pad): \(reward[1]) vs \(aloneReward[0])")
        }
    }

    @Test func invalidInputsAreRefused() throws {
        let model = try Fixtures.model()
        #expect(throws: ModelError.tokenOutOfRange(id: 67, position: 1, vocabSize: 67)) {
            try model.forward(TokenBatch(sequences: [[1, 67]]))
        }
        #expect(throws: ModelError.sequenceTooLong(length: 17, contextLength: 16)) {
            try model.forward(TokenBatch(sequences: [Array(repeating: 1, count: 17)]))
        }
        try model.forward(TokenBatch(sequences: [[1, 2, 3]]))
        #expect(throws: ModelError.self) { try model.scalars(at: [3]) }
        #expect(throws: ModelError.self) { try model.logProbabilities(targets: [1, 2, 80]) }
        #expect(throws: ModelError.self) { try GPT2(config: GPT2Config(vocabSize: 10, contextLength: 8, layers: 1, heads: 5, channels: 12)) }
    }
}
