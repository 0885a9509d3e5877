import Foundation
import Testing
import RLHFCore
import RLHFData
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
@testable import RLHFTrain

/// The reward trainer on synthetic preferences whose truth is known, with a random tiny trunk
/// (2 layers, width 32): a marker word that decides the winner on pairs of equal token length, and
/// Davidson's tie parameter recovered from ties drawn with a known one.
@Suite struct RewardTrainerTests {
    static let fillers = ["the", "a", "red", "blue", "box", "cat", "dog", "sun", "big", "old", "new", "car", "tree", "sky",
                          "hat", "cup", "green", "small", "fast", "slow"]
    static let marker = "zebra", filler = "apple"

    /// Sentences of `words` words from the filler list with `markers` of them replaced by the marker and
    /// the rest of the count made up by "apple", so every sentence of a length has one token count.
    static func sentence(words: Int, markers: Int, slots: Int, random: inout SeededRandom) -> String {
        var list = (0..<words).map { _ in fillers[random.nextInt(below: fillers.count)] }
        var positions = Array(0..<words)
        random.shuffle(&positions)
        for (i, p) in positions.prefix(slots).enumerated() { list[p] = i < markers ? marker : filler }
        return " " + list.joined(separator: " ") + "."
    }

    struct Synthetic {
        var train: [RewardJudgement] = [], validation: [RewardJudgement] = [], test: [RewardJudgement] = []
        /// The truth of each judgement by key: true when `first` carries more markers.
        var truth: [String: Bool] = [:]
        var tokenizer: BPETokenizer
    }

    /// One judgement per prompt. `outcome(markersFirst, markersSecond, random)` decides it.
    static func synthetic(prompts: (Int, Int, Int), seed: UInt64, slots: Int, markers: @escaping (inout SeededRandom) -> (Int, Int),
                          outcome: (Int, Int, inout SeededRandom) -> PreferenceLoss.Outcome) throws -> Synthetic {
        var random = SeededRandom(seed: seed)
        var rows: [(prompt: String, first: String, second: String, mFirst: Int, mSecond: Int)] = []
        for p in 0..<(prompts.0 + prompts.1 + prompts.2) {
            let words = 4 + random.nextInt(below: 9)
            let (a, b) = markers(&random)
            rows.append(("Describe scene \(p):", sentence(words: words, markers: a, slots: slots, random: &random),
                         sentence(words: words, markers: b, slots: slots, random: &random), a, b))
        }
        let tokenizer = BPETokenizer(vocabulary: try BPETrainer.train(texts: rows.flatMap { [$0.prompt, $0.first, $0.second] }, vocabSize: 512))
        var data = Synthetic(tokenizer: tokenizer)
        for (p, row) in rows.enumerated() {
            // Equal token length by construction: every word is one token of the trained vocabulary.
            precondition(tokenizer.encodeOrdinary(row.first).count == tokenizer.encodeOrdinary(row.second).count)
            let key = "label:\(p)"
            let j = RewardJudgement(key: key, promptID: Int64(p), prompt: row.prompt, firstID: Int64(2 * p), first: row.first,
                                    secondID: Int64(2 * p + 1), second: row.second, outcome: outcome(row.mFirst, row.mSecond, &random))
            data.truth[key] = row.mFirst > row.mSecond
            if p < prompts.0 { data.train.append(j) } else if p < prompts.0 + prompts.1 { data.validation.append(j) } else { data.test.append(j) }
        }
        return data
    }

    static let shape = GPT2Config(vocabSize: 512, contextLength: 32, layers: 2, heads: 2, channels: 32)

    /// Trains a reward model on a fresh random trunk; returns the outcome and the trained model.
    static func train(_ data: Synthetic, config: RewardConfig, directory: TemporaryDirectory,
                      metrics: MetricsSink = MemoryMetricsSink()) throws -> (RewardTrainer.Outcome, RewardTrainer.Datasets, GPT2) {
        let serializer = try Serializer(tokenizer: data.tokenizer)
        let withTies = config.ties == .davidson
        let datasets = RewardTrainer.Datasets(
            train: RewardDataset(judgements: data.train, serializer: serializer, maxLength: 32, includeTies: withTies),
            validation: RewardDataset(judgements: data.validation, serializer: serializer, maxLength: 32, includeTies: true),
            test: RewardDataset(judgements: data.test, serializer: serializer, maxLength: 32, includeTies: true))
        let language = try GPT2(config: shape)
        language.initializeWeights(seed: 3)
        let model = try RewardHead.rewardModel(trunk: language, seed: 4)
        let plan = CheckpointPlan(finalDirectory: directory.file("rm"))
        let outcome = try RewardTrainer(config: config).train(model: model, data: datasets, normalizing: nil,
                                                              endOfText: serializer.endOfText, checkpoints: plan,
                                                              out: directory.file("rm"), metrics: metrics)
        return (outcome, datasets, model)
    }

    /// The winner is decided by one marker word that replaces a filler word, on pairs of equal token
    /// length, with 10% of the labels flipped: the held-out accuracy exceeds 85% (against the noisy
    /// labels; 90% is the most a perfect model gets) while the length-only rule stays near 50%.
    @Test func aMarkerWordDecidesAndLengthDoesNot() throws {
        let data = try Self.synthetic(prompts: (600, 100, 200), seed: 1, slots: 1, markers: { random in
            random.nextDouble() < 0.5 ? (1, 0) : (0, 1)
        }, outcome: { a, b, random in
            let truth: PreferenceLoss.Outcome = a > b ? .firstWins : .secondWins
            return random.nextDouble() < 0.1 ? (truth == .firstWins ? .secondWins : .firstWins) : truth
        })
        var config = RewardConfig()
        config.training.learningRate = 3e-3
        config.training.numTrainEpochs = 8
        config.earlyStoppingPatience = 2
        let directory = TemporaryDirectory("reward-marker")
        let (outcome, datasets, _) = try Self.train(data, config: config, directory: directory)
        let report = try #require(outcome.test)
        let test = report.metrics
        // Against the truth (labels before flipping).
        var right = 0
        for c in datasets.test.groups.flatMap(\.comparisons) {
            let firstHigher = report.rewards[c.first] > report.rewards[c.second]
            if firstHigher == data.truth[data.test[c.judgement].key] { right += 1 }
        }
        #expect(Double(right) / Double(data.test.count) > 0.95, "against the truth \(right) of \(data.test.count)")
        print("marker test: accuracy \(test.accuracy) over \(test.pairs) pairs; longer wins \(test.longerWinsAccuracy), shorter wins \(test.shorterWinsAccuracy); steps \(outcome.step) best \(outcome.bestStep)")
        #expect(test.accuracy > 0.85, "held-out accuracy \(test.accuracy)")
        #expect(abs(test.longerWinsAccuracy - 0.5) < 0.07 && abs(test.shorterWinsAccuracy - 0.5) < 0.07)
    }

    /// Davidson ties through the trainer: outcomes drawn from Davidson's model with reward 1.2 per marker
    /// (0 to 3 markers per completion) and nu = 0.8 (theta = log nu = -0.223); the trainer fits theta with
    /// the rewards and refits it by maximum likelihood on the train judgements at the end. Tolerance
    /// 0.15: with 2,000 judgements the standard error of the maximum-likelihood theta is
    /// sqrt(1 / sum p_tie (1 - p_tie)) = sqrt(1 / (2000 x 0.17)) = 0.054, so 0.15 is nearly three of
    /// them (seeds 2, 3, 5 land 0.025, 0.019, 0.020 away), while ignoring the ties (theta = 0) would miss
    /// by 0.22 and the stochastic steps alone jitter by +-0.12 here.
    @Test func davidsonRecoversTheTieParameter() throws {
        let trueTheta = log(0.8), perMarker = 1.2
        let data = try Self.synthetic(prompts: (2000, 200, 10), seed: 2, slots: 3, markers: { random in
            (random.nextInt(below: 4), random.nextInt(below: 4))
        }, outcome: { a, b, random in
            let d = perMarker * Double(a - b)
            let total = exp(d / 2) + exp(-d / 2) + exp(trueTheta)
            let u = random.nextDouble() * total
            return u < exp(d / 2) ? .firstWins : (u < exp(d / 2) + exp(-d / 2) ? .secondWins : .tie)
        })
        var config = RewardConfig()
        config.ties = .davidson
        config.training.learningRate = 3e-3
        config.training.numTrainEpochs = 4
        config.earlyStoppingPatience = 2
        let directory = TemporaryDirectory("reward-davidson")
        let metrics = MemoryMetricsSink()
        let (outcome, datasets, model) = try Self.train(data, config: config, directory: directory, metrics: metrics)
        let info = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("rm/reward_model.json"))))).objectValue
        let theta = try #require(info?["log_tie_parameter"]?.doubleValue)
        // The learned reward per marker, from the validation rewards (least squares on marker counts).
        let report = try RewardEvaluator.evaluate(model: model, dataset: datasets.validation, ties: .davidson, logTieParameter: theta, microBatch: 64)
        var sxy = 0.0, sxx = 0.0
        for c in datasets.validation.groups.flatMap(\.comparisons) {
            let j = data.validation[c.judgement]
            let dk = Double(j.first.components(separatedBy: Self.marker).count - j.second.components(separatedBy: Self.marker).count)
            sxy += dk * Double(report.rewards[c.first] - report.rewards[c.second]); sxx += dk * dk
        }
        print("davidson: fitted theta \(theta) (true \(trueTheta)), reward per marker \(sxy / sxx) (true \(perMarker)), steps \(outcome.step), ties in train \(datasets.train.groups.flatMap(\.comparisons).filter { $0.outcome == .tie }.count)")
        #expect(abs(theta - trueTheta) < 0.15, "fitted log nu \(theta), true \(trueTheta)")
        #expect(metrics.last("log_tie_parameter") != nil)
    }

    static func markerData(seed: UInt64, prompts: (Int, Int, Int)) throws -> Synthetic {
        try synthetic(prompts: prompts, seed: seed, slots: 1, markers: { random in random.nextDouble() < 0.5 ? (1, 0) : (0, 1) },
                      outcome: { a, b, _ in a > b ? .firstWins : .secondWins })
    }

    /// STYLE rule 3 for every trainer: a few steps lower the loss and change every parameter tensor.
    /// With TRL's centring term on: Bradley-Terry alone sees only reward differences, so the head bias
    /// and ln_f's bias (which add the same constant to every reward) get exactly zero gradient.
    @Test func aFewStepsLowerTheLossAndChangeEveryTensor() throws {
        let data = try Self.markerData(seed: 6, prompts: (200, 0, 0))
        var config = RewardConfig()
        config.centerRewardsCoefficient = 0.01
        config.training.learningRate = 3e-3
        config.training.maxSteps = 20
        config.training.saveSteps = 1000
        let directory = TemporaryDirectory("reward-steps")
        let initial = try GPT2(config: Self.shape)
        initial.initializeWeights(seed: 3)
        let start = try RewardHead.rewardModel(trunk: initial, seed: 4)
        let metrics = MemoryMetricsSink()
        _ = try Self.train(data, config: config, directory: directory, metrics: metrics)
        // The loop's last checkpoint holds the trained weights before normalisation and folding.
        let trained = try Checkpoint.load(from: directory.file("rm-checkpoints/checkpoint-20")).model
        for tensor in start.layout.tensors {
            let before = Array(start.view(tensor)), after = Array(trained.view(tensor))
            #expect(before != after, "\(HuggingFaceNames.name(tensor)) did not change")
        }
        let losses = metrics.values.filter { $0.name == "loss" }.map(\.value)
        #expect(losses.count == 20)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < first - 0.05, "loss \(first) -> \(last)")
    }

    /// The output folder: a Hugging Face GPT2ForSequenceClassification (config.json with num_labels 1 and
    /// pad_token_id null; score.weight without score.bias), with its normalisation measured again after
    /// a reload: the policy's samples score mean 0 and standard deviation 1. A copy whose gain and bias
    /// were lost (OpenRLHF's bug) fails that check.
    @Test func theOutputIsANormalisedSequenceClassifier() throws {
        let data = try Self.markerData(seed: 7, prompts: (200, 40, 40))
        var config = RewardConfig()
        config.training.learningRate = 3e-3
        config.training.maxSteps = 30
        config.normalizationSamples = 48
        let serializer = try Serializer(tokenizer: data.tokenizer)
        let datasets = RewardTrainer.Datasets(
            train: RewardDataset(judgements: data.train, serializer: serializer, maxLength: 32, includeTies: false),
            validation: RewardDataset(judgements: data.validation, serializer: serializer, maxLength: 32, includeTies: true),
            test: RewardDataset(judgements: data.test, serializer: serializer, maxLength: 32, includeTies: true))
        let policy = try GPT2(config: Self.shape)
        policy.initializeWeights(seed: 3)
        let model = try RewardHead.rewardModel(trunk: policy, seed: 4)
        let directory = TemporaryDirectory("reward-output")
        let out = directory.file("rm")
        let prompts = data.train.map { data.tokenizer.encodeOrdinary($0.prompt) }
        let outcome = try RewardTrainer(config: config).train(
            model: model, data: datasets, normalizing: .init(policy: policy, prompts: prompts, name: "random policy"),
            endOfText: serializer.endOfText, checkpoints: CheckpointPlan(finalDirectory: out), out: out, metrics: MemoryMetricsSink())
        let normalization = try #require(outcome.normalization)
        #expect(normalization.sequences.count == 48 && normalization.sequences.allSatisfy { $0.last == serializer.endOfText })
        #expect(abs(normalization.rawMean) > 1e-3 || abs(normalization.rawStandardDeviation - 1) > 1e-3)

        let hf = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/config.json")))).objectValue
        #expect(hf?["pad_token_id"]?.isNull == true && hf?["num_labels"]?.intValue == 1)
        #expect(hf?["architectures"]?.arrayValue?.first?.stringValue == "GPT2ForSequenceClassification")
        let file = try SafetensorsFile(path: out + "/model.safetensors")
        #expect(file.header.entry("score.weight")?.shape == [1, Self.shape.channels] && file.header.entry("score.bias") == nil)
        let reloaded = try Checkpoint.load(from: out).model
        #expect(RewardHead.bias(reloaded) == 0)
        let measured = try #require(try RewardModelFile.measureNormalization(directory: out, model: reloaded))
        #expect(measured.samples == 48 && abs(measured.mean) < 1e-4 && abs(measured.standardDeviation - 1) < 1e-4)

        // Lose the gain and bias (undo them) and save again with the same samples: the check fails.
        RewardHead.applyAffine(reloaded, gain: 1 / normalization.gain, bias: -normalization.bias / normalization.gain)
        let lost = directory.file("lost")
        var files: [String: [UInt8]] = [:]
        for name in [RewardModelFile.fileName, RewardModelFile.samplesFileName] {
            files[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/" + name)))
        }
        try Checkpoint.save(model: reloaded, to: lost, extraFiles: files)
        #expect(throws: TrainingError.self) { try RewardTrainer.verifyNormalization(directory: lost, expected: normalization) }
        try RewardTrainer.verifyNormalization(directory: out, expected: normalization)
    }

    /// Folding the head bias into ln_f and rescaling the head change no reward at any position beyond
    /// the chosen affine map.
    @Test func foldingAndRescalingAreExactAtEveryPosition() throws {
        let model = try RewardHead.rewardModel(trunk: try GPT2(config: Self.shape), seed: 9)
        var random = SeededRandom(seed: 10)
        for tensor in model.layout.tensors {
            let view = model.view(tensor)
            for i in 0..<view.count { view[i] += 0.2 * Float(random.nextGaussian()) }
        }
        let batch = TokenBatch(sequences: [(0..<20).map { _ in random.nextInt(below: 300) }, (0..<9).map { _ in random.nextInt(below: 300) }])
        try model.forward(batch)
        let before = try model.scalarsAtEveryPosition()
        #expect(RewardHead.bias(model) != 0)
        RewardHead.applyAffine(model, gain: 0.7, bias: -1.3)
        try RewardHead.foldBiasIntoFinalLayerNorm(model)
        #expect(RewardHead.bias(model) == 0)
        try model.forward(batch)
        let after = try model.scalarsAtEveryPosition()
        let expected = before.enumerated().map { i, r in i % 20 < batch.lengths[i / 20] ? 0.7 * r - 1.3 : 0 }
        let report = Tolerance.compare("folded rewards", actual: after, expected: expected, relative: 1e-5, absolute: 1e-5)
        #expect(report.passed, "\(report)")
    }
}
