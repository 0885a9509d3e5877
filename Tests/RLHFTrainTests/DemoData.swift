import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFTestSupport
import RLHFTokenizer
@testable import RLHFTrain

/// The demo dataset's SFT pairs read straight from `datasets/demo/` (no store: the trainer takes plain
/// values), a tokenizer trained on them, and helpers the training tests share.
enum DemoData {
    static func pairs(_ split: String, limit: Int = .max) throws -> [PromptCompletion] {
        let reader = try DataFile.lineReader(path: TestPaths.repo("datasets/demo/sft-\(split).jsonl").path)
        var pairs: [PromptCompletion] = []
        while pairs.count < limit, let line = try reader.nextLineBytes() {
            guard let object = try JSONParser.parse(line).objectValue, let prompt = object["prompt"]?.stringValue,
                  let completion = object["completion"]?.stringValue else { continue }
            pairs.append(PromptCompletion(id: Int64(pairs.count + 1), prompt: prompt, completion: completion))
        }
        return pairs
    }

    /// A BPE tokenizer of `vocabSize` tokens learned from the training pairs' texts (each text once),
    /// as `rlhf tokenizer train --from-store` learns it.
    static func tokenizer(vocabSize: Int, from pairs: [PromptCompletion]) throws -> BPETokenizer {
        var seen = Set<String>()
        var texts: [String] = []
        for pair in pairs {
            for text in [pair.prompt, pair.completion] where seen.insert(text).inserted { texts.append(text) }
        }
        return BPETokenizer(vocabulary: try BPETrainer.train(texts: texts, vocabSize: vocabSize))
    }

    /// Entropy in nats of the unigram distribution of the counted targets (completion tokens and
    /// end-of-text): the loss of the best model that ignores context.
    static func unigramEntropy(_ examples: [LanguageModelExample]) -> Double {
        var counts: [Int: Int] = [:]
        var total = 0
        for example in examples {
            for label in example.countedLabels {
                counts[example.labels[label], default: 0] += 1
                total += 1
            }
        }
        return counts.values.reduce(0.0) { sum, n in
            let p = Double(n) / Double(total)
            return sum - p * Foundation.log(p)
        }
    }
}
