import Foundation
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
import Testing
@testable import RLHFTrain

/// Sampling the policy for stored prompts: a text depends on (model, prompt, settings, seed, prompt id,
/// sample index) only.
@Suite struct PolicySamplerTests {
    @Test func aSampleDoesNotDependOnItsBatchOrTheOtherPrompts() throws {
        let pairs = try DemoData.pairs("train", limit: 200)
        let tokenizer = try DemoData.tokenizer(vocabSize: 300, from: pairs)
        let model = try GPT2(config: GPT2Config(vocabSize: 300, contextLength: 48, layers: 1, heads: 2, channels: 32))
        model.initializeWeights(seed: 9)
        let sampler = try PolicySampler(model: model, tokenizer: tokenizer)
        let prompts: [(id: Int64, text: String)] = [(3, "Review the red kettle:"), (7, "Write a short review of the blue lamp:"), (11, "")]
        let settings = SamplingSettings(temperature: 1, maxNewTokens: 12)
        func run(_ prompts: [(id: Int64, text: String)], seed: UInt64, batchSize: Int) throws -> [String: String] {
            var texts: [String: String] = [:]
            try sampler.sample(prompts: prompts, samples: 3, settings: settings, seed: seed, batchSize: batchSize) { batch in
                for s in batch { texts["\(s.promptID)/\(s.sampleIndex)"] = s.text }
            }
            return texts
        }
        let all = try run(prompts, seed: 5, batchSize: 32)
        #expect(all.count == 9)
        let some = try run([prompts[2], prompts[0]], seed: 5, batchSize: 2)
        for (key, text) in some { #expect(all[key] == text, "\(key) changed with the batch") }
        let other = try run(prompts, seed: 6, batchSize: 32)
        #expect(other != all)
        // The three samples of one prompt draw from different streams.
        #expect(Set((0..<3).map { all["7/\($0)"] ?? "" }).count > 1)
    }

    @Test func aSampleCutInsideACharacterDropsTheBrokenBytes() throws {
        let tokenizer = try BPETokenizer(directory: TestPaths.shared("reference/gpt2-tokenizer").path)
        let model = try GPT2(config: GPT2Config(vocabSize: 50257, contextLength: 8, layers: 1, heads: 1, channels: 8))
        let sampler = try PolicySampler(model: model, tokenizer: tokenizer)
        let lead = try #require((0..<50257).first { (try? tokenizer.decodeBytes([$0])) == [0xC3] })
        #expect(try sampler.text(tokenizer.encodeOrdinary("caf") + [lead]) == "caf")
        #expect(try sampler.text(tokenizer.encodeOrdinary("café")) == "café")
    }
}
