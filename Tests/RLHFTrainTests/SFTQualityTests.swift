import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
import Testing
@testable import RLHFTrain

/// SFT on the demo dataset does what it is for: a tiny GPT-2 learns the completions far better than any
/// context-free model, and its greedy completions end with end-of-text.
@Suite struct SFTQualityTests {
    @Test func tinyModelLearnsTheDemoCompletions() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let trainPairs = try DemoData.pairs("train")
        let validationPairs = try DemoData.pairs("validation", limit: 256)
        let tokenizer = try DemoData.tokenizer(vocabSize: 512, from: trainPairs)
        let serializer = try Serializer(tokenizer: tokenizer)
        let eos = serializer.endOfText
        let maxLength = 64
        let train = SerializedSet(trainPairs, serializer: serializer, maxLength: maxLength)
        let validation = SerializedSet(validationPairs, serializer: serializer, maxLength: maxLength)
        #expect(train.leftOut == 0 && validation.leftOut == 0)
        let longest = train.examples.map(\.tokens.count).max() ?? 0
        print("tokenizer \(tokenizer.vocabulary.count) tokens, longest example \(longest), setup \(clock.now - start)")

        let config = GPT2Config(vocabSize: tokenizer.vocabulary.count, contextLength: maxLength, layers: 2, heads: 4,
                                channels: 128, eosTokenId: eos)
        let model = try GPT2(config: config)
        var arguments = TrainingArguments()
        arguments.maxSteps = Int(ProcessInfo.processInfo.environment["SFT_STEPS"] ?? "300") ?? 300
        arguments.evalSteps = 100
        let directory = TemporaryDirectory("sft-quality")
        model.initializeWeights(seed: arguments.seed)
        let metrics = MemoryMetricsSink()
        let trainStart = clock.now
        let outcome = try LanguageModelTrainer(config: SFTConfig(training: arguments)).train(
            model: model, train: train, validation: validation.examples,
            checkpoints: CheckpointPlan(finalDirectory: directory.file("out")), metrics: metrics)
        let entropy = DemoData.unigramEntropy(train.examples)
        let validationLoss = try #require(metrics.last("eval_loss"))
        print("trained \(outcome.step) steps in \(clock.now - trainStart); unigram entropy \(entropy), validation loss \(validationLoss)")
        for (step, name, value) in metrics.values where name == "eval_loss" { print("  step \(step) eval_loss \(value)") }
        #expect(validationLoss < 0.5 * entropy, "validation loss \(validationLoss) vs unigram entropy \(entropy)")

        // Greedy completions through the KV-cache sampler, for 8 distinct validation prompts.
        var prompts: [(id: Int64, text: String)] = []
        for pair in validationPairs where !prompts.contains(where: { $0.text == pair.prompt }) && prompts.count < 8 {
            prompts.append((Int64(prompts.count), pair.prompt))
        }
        var ended = 0
        try PolicySampler(model: model, tokenizer: tokenizer).sample(
            prompts: prompts, samples: 1, settings: SamplingSettings(temperature: 0, maxNewTokens: 40), seed: 0) { batch in
            for sample in batch {
                print("  \(prompts[Int(sample.promptID)].text) ->\(sample.text)\(sample.stopped ? " <eos>" : "")")
                if sample.stopped && sample.tokens.last == eos { ended += 1 }
            }
        }
        #expect(ended == 8, "\(ended) of 8 greedy completions ended with end-of-text")
    }
}
