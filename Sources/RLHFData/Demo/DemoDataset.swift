import RLHFCore

/// The demo dataset: product-review prompts with several SFT completions each, split by product into
/// train, validation and test (so no product of the test split was seen in training). Everything is a
/// function of the seed: `generate(seed:)` twice gives the same bytes, and the committed files in
/// `datasets/demo/` are `generate(seed: DemoDataset.defaultSeed)` (a test regenerates and compares).
public struct DemoDataset: Sendable {
    public static let defaultSeed: UInt64 = 6
    public static let completionsPerPrompt = 4
    /// Shares of products, cut in this order from a seeded shuffle: test, validation, the rest train.
    public static let testFraction = 0.1, validationFraction = 0.1

    public struct Prompt: Sendable, Equatable {
        public let text: String
        public let product: String
        public let split: Split
        /// Distinct texts, each starting with a space (the store's convention: a reply follows the prompt's colon).
        public let completions: [String]
    }

    public let seed: UInt64
    public let prompts: [Prompt]

    public static func generate(seed: UInt64 = defaultSeed) -> DemoDataset {
        let products = DemoVocabulary.colors.flatMap { color in DemoVocabulary.items.map { "\(color) \($0)" } }
        // Products, not prompts, are split, so the wordings of one product never straddle two splits.
        var order = Array(products.indices)
        var splitRandom = SeededRandom(seed: seed, stream: 0)
        splitRandom.shuffle(&order)
        let test = Int((Double(products.count) * testFraction).rounded(.down))
        let validation = Int((Double(products.count) * validationFraction).rounded(.down))
        var splitOf = [Split](repeating: .train, count: products.count)
        for (rank, index) in order.enumerated() {
            splitOf[index] = rank < test ? .test : (rank < test + validation ? .validation : .train)
        }
        var prompts: [Prompt] = []
        for (p, product) in products.enumerated() {
            for (t, template) in DemoVocabulary.promptTemplates.enumerated() {
                // One stream per prompt: a prompt's completions do not depend on any other prompt's.
                var random = SeededRandom(seed: seed, stream: UInt64(1 + p * DemoVocabulary.promptTemplates.count + t))
                var completions: [String] = []
                while completions.count < completionsPerPrompt {
                    let text = DemoCompletion.sample(product: product, random: &random)
                    if !completions.contains(text) { completions.append(text) }
                }
                let text = template.split(separator: "{}", omittingEmptySubsequences: false).joined(separator: product)
                prompts.append(Prompt(text: text, product: product, split: splitOf[p], completions: completions))
            }
        }
        return DemoDataset(seed: seed, prompts: prompts)
    }

    /// The files as committed: for each split, `prompts-SPLIT.jsonl` (`{"prompt", "meta": {"product"}}`)
    /// and `sft-SPLIT.jsonl` (`{"prompt", "completion"}`), which `rlhf import prompts|sft --split SPLIT` reads.
    public func files() -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        for split in Split.allCases {
            var promptsFile = JSONWriter(capacity: 1 << 18), sftFile = JSONWriter(capacity: 1 << 20)
            for prompt in prompts where prompt.split == split {
                promptsFile.raw("{\"prompt\":"); promptsFile.string(prompt.text)
                promptsFile.raw(",\"meta\":{\"product\":"); promptsFile.string(prompt.product); promptsFile.raw("}}\n")
                for completion in prompt.completions {
                    sftFile.raw("{\"prompt\":"); sftFile.string(prompt.text)
                    sftFile.raw(",\"completion\":"); sftFile.string(completion); sftFile.raw("}\n")
                }
            }
            result.append(("prompts-\(split.rawValue).jsonl", promptsFile.bytes))
            result.append(("sft-\(split.rawValue).jsonl", sftFile.bytes))
        }
        return result
    }
}
