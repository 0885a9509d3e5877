import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
import Testing
@testable import RLHFTrain

/// The shared loop through the language-model trainer: it learns, it touches every tensor, it resumes
/// bit for bit from an intermediate checkpoint, and it stops on a non-finite loss naming the step.
@Suite struct LanguageModelTrainerTests {
    static func setup() throws -> (SerializedSet, [LanguageModelExample], GPT2Config) {
        let pairs = try DemoData.pairs("train", limit: 400)
        let tokenizer = try DemoData.tokenizer(vocabSize: 320, from: pairs)
        let serializer = try Serializer(tokenizer: tokenizer)
        let train = SerializedSet(Array(pairs.prefix(300)), serializer: serializer, maxLength: 48)
        let validation = SerializedSet(Array(pairs.suffix(100)), serializer: serializer, maxLength: 48)
        let config = GPT2Config(vocabSize: tokenizer.vocabulary.count, contextLength: 48, layers: 1, heads: 2, channels: 32,
                                eosTokenId: serializer.endOfText)
        return (train, validation.examples, config)
    }

    static func arguments(steps: Int) -> TrainingArguments {
        var a = TrainingArguments()
        a.maxSteps = steps
        a.perDeviceTrainBatchSize = 4
        a.gradientAccumulationSteps = 2
        a.saveSteps = steps / 2
        a.evalSteps = 4
        return a
    }

    @Test func aFewStepsLowerTheLossAndChangeEveryTensor() throws {
        let (train, validation, config) = try Self.setup()
        let model = try GPT2(config: config)
        model.initializeWeights(seed: 1)
        let before = Array(model.parameters.view(0, model.layout.count))
        let initial = try LanguageModelTrainer.evaluate(model: model, examples: validation, batchSize: 32)
        let directory = TemporaryDirectory("lm-trainer")
        let metrics = MemoryMetricsSink()
        var arguments = Self.arguments(steps: 12)
        arguments.learningRate = 5e-3
        let outcome = try LanguageModelTrainer(config: SFTConfig(training: arguments)).train(
            model: model, train: train, validation: validation,
            checkpoints: CheckpointPlan(finalDirectory: directory.file("out")), metrics: metrics)
        #expect(outcome.status == .finished && outcome.step == 12)
        let after = try LanguageModelTrainer.evaluate(model: model, examples: validation, batchSize: 32)
        #expect(after.loss < initial.loss - 1, "validation loss \(initial.loss) -> \(after.loss)")
        for tensor in model.layout.tensors {
            let changed = (tensor.offset..<(tensor.offset + tensor.count)).contains { model.parameters.pointer[$0] != before[$0] }
            #expect(changed, "tensor \(HuggingFaceNames.name(tensor)) did not change")
        }
        for name in ["loss", "learning_rate", "grad_norm", "tokens_per_second", "eval_loss", "eval_perplexity", "examples_left_out"] {
            #expect(metrics.values.contains { $0.name == name }, "metric \(name) missing")
        }
        #expect(metrics.values.filter { $0.name == "eval_loss" }.map(\.step) == [4, 8, 12])
        #expect(FileManager.default.fileExists(atPath: directory.file("out-checkpoints/checkpoint-6/model.safetensors")))
    }

    @Test func resumingFromTheMiddleCheckpointIsBitExact() throws {
        let (train, validation, config) = try Self.setup()
        let directory = TemporaryDirectory("lm-resume")
        let trainer = LanguageModelTrainer(config: SFTConfig(training: Self.arguments(steps: 8)))

        let straight = try GPT2(config: config)
        straight.initializeWeights(seed: 1)
        let straightMetrics = MemoryMetricsSink()
        _ = try trainer.train(model: straight, train: train, validation: validation,
                              checkpoints: CheckpointPlan(finalDirectory: directory.file("straight")), metrics: straightMetrics)

        let middle = try Checkpoint.load(from: directory.file("straight-checkpoints/checkpoint-4"))
        let state = try #require(middle.trainerState)
        #expect(state.step == 4 && state.dataPosition == 4 * 8)
        let resumedMetrics = MemoryMetricsSink()
        _ = try trainer.train(model: middle.model, optimizer: middle.optimizer, resume: state, train: train,
                              validation: validation, checkpoints: CheckpointPlan(finalDirectory: directory.file("resumed")),
                              metrics: resumedMetrics)
        let a = try Data(contentsOf: URL(fileURLWithPath: directory.file("straight/model.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory.file("resumed/model.safetensors")))
        #expect(a == b, "the resumed weights differ from the straight run's")
        let losses = { (m: MemoryMetricsSink) in m.values.filter { $0.name == "loss" && $0.step > 4 }.map(\.value) }
        #expect(losses(straightMetrics) == losses(resumedMetrics))
    }

    @Test func aNonFiniteLossStopsNamingTheStep() throws {
        let (train, _, config) = try Self.setup()
        let model = try GPT2(config: config)
        model.initializeWeights(seed: 1)
        var arguments = Self.arguments(steps: 6)
        arguments.learningRate = 1e30   // blows the weights up after the first update
        arguments.warmupSteps = 0
        arguments.maxGradNorm = 1e30
        let directory = TemporaryDirectory("lm-nan")
        #expect {
            _ = try LanguageModelTrainer(config: SFTConfig(training: arguments)).train(
                model: model, train: train, checkpoints: CheckpointPlan(finalDirectory: directory.file("out")),
                metrics: MemoryMetricsSink())
        } throws: { error in
            guard case TrainingError.nonFinite(_, let step, _) = error else { return false }
            return step == 2 && "\(error)".contains("step 2")
        }
    }
}
