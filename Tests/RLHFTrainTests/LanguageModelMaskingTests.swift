import Foundation
import RLHFData
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
import Testing
@testable import RLHFTrain

/// SFT's loss counts exactly the targets from the first completion token through end-of-text, checked on
/// token ids with GPT-2's tokenizer and a tiny model.
@Suite struct LanguageModelMaskingTests {
    let tokenizer: BPETokenizer
    let serializer: Serializer
    let model: GPT2

    init() throws {
        tokenizer = try BPETokenizer(directory: TestPaths.shared("reference/gpt2-tokenizer").path)
        serializer = try Serializer(tokenizer: tokenizer)
        // GPT-2's vocabulary on a tiny trunk: the loss only needs the ids to exist.
        model = try GPT2(config: GPT2Config(vocabSize: 50257, contextLength: 32, layers: 1, heads: 2, channels: 16))
        model.initializeWeights(seed: 3)
    }

    func example(_ prompt: String, _ completion: String) throws -> LanguageModelExample {
        let s = try #require(serializer.serialize(prompt: prompt, completion: completion, maxLength: 32, purpose: .training))
        return LanguageModelExample(id: 1, serialized: s)
    }

    func loss(_ examples: [LanguageModelExample]) throws -> Float {
        try model.accumulateCrossEntropy([LanguageModelCollator.collate(examples)]).loss
    }

    @Test func countedTargetsAreTheCompletionAndEndOfText() throws {
        let e = try example("Review the kettle:", " It is good.")
        let promptIDs = tokenizer.encodeOrdinary("Review the kettle:")
        let completionIDs = tokenizer.encodeOrdinary(" It is good.")
        let batch = LanguageModelCollator.collate([e, try example("Q:", " A")])
        let T = batch.batch.sequenceLength
        let row = Array(batch.targets[0..<T])
        // Position t predicts token t + 1: the last prompt position predicts the first completion token,
        // the last completion position predicts end-of-text, nothing else counts (padding included).
        var expected = [Int32](repeating: -1, count: T)
        for (k, id) in (completionIDs + [50256]).enumerated() { expected[promptIDs.count - 1 + k] = Int32(id) }
        #expect(row == expected)
        #expect(batch.targetCount == completionIDs.count + 1 + 2)   // the second example: " A" and end-of-text
    }

    @Test func promptLabelsDoNotCountCompletionLabelsDo() throws {
        let e = try example("Review the kettle:", " It is good.")
        let base = try loss([e])
        for k in 1..<e.countedLabels.lowerBound {
            var changed = e
            changed.labels[k] = (changed.labels[k] + 7) % 50257    // a target at a prompt position
            #expect(try loss([changed]) == base, "label \(k) is in the prompt yet changed the loss")
        }
        for k in e.countedLabels {
            var changed = e
            changed.labels[k] = (changed.labels[k] + 7) % 50257    // a target in the completion or end-of-text
            #expect(try loss([changed]) != base, "label \(k) is in the completion yet did not change the loss")
        }
        // The inputs are untouched by a label change: the prompt tokens still condition the completion.
        var otherPrompt = e
        otherPrompt.tokens[0] = (otherPrompt.tokens[0] + 7) % 50257
        #expect(try loss([otherPrompt]) != base)
    }

    @Test func aCutPromptStillCountsTheWholeCompletion() throws {
        let prompt = (0..<40).map { "w\($0)" }.joined(separator: " ")
        let e = try example(prompt, " It is good.")
        #expect(e.tokens.count == 32)
        #expect(e.countedCount == tokenizer.encodeOrdinary(" It is good.").count + 1)
        #expect(e.labels.last == 50256)
    }
}
