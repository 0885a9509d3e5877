import Foundation
import Testing
import RLHFCore
@testable import RLHFData
import RLHFTestSupport

/// The committed demo dataset is the generator's output, and has the properties datasets/README.md claims.
@Suite struct DemoDatasetTests {
    static let dataset = DemoDataset.generate()

    @Test func committedFilesAreExactlyWhatTheDefaultSeedGenerates() throws {
        let folder = TestPaths.repo("datasets/demo")
        let committed = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".jsonl") }.sorted()
        let files = Self.dataset.files()
        #expect(committed == files.map(\.name).sorted(), "datasets/demo holds other files than the generator writes")
        for file in files {
            let bytes = try #require(FileManager.default.contents(atPath: folder.appendingPathComponent(file.name).path),
                                     "datasets/demo/\(file.name) is missing: run tools/generate-demo-dataset")
            #expect(Array(bytes) == file.bytes, "datasets/demo/\(file.name) differs from the generator's output: run tools/generate-demo-dataset and commit")
        }
    }

    @Test func sameSeedSameBytesOtherSeedOtherData() {
        let a = DemoDataset.generate(seed: 11).files(), b = DemoDataset.generate(seed: 11).files()
        #expect(a.map(\.bytes) == b.map(\.bytes))
        let c = DemoDataset.generate(seed: 12).files()
        for (x, y) in zip(a, c) { #expect(x.bytes != y.bytes, "\(x.name) is the same for seeds 11 and 12") }
    }

    @Test func rowCountsSplitsAndShape() throws {
        let prompts = Self.dataset.prompts
        #expect(prompts.count == 3072 && Set(prompts.map(\.text)).count == 3072)
        let bySplit = Dictionary(grouping: prompts, by: \.split).mapValues(\.count)
        #expect(bySplit == [.train: 2464, .validation: 304, .test: 304])
        // Split by product: every wording of a product is in one split.
        let splitsOfProduct = Dictionary(grouping: prompts, by: \.product).mapValues { Set($0.map(\.split)) }
        #expect(splitsOfProduct.count == 384 && splitsOfProduct.values.allSatisfy { $0.count == 1 })
        #expect(prompts.contains { $0.text == "Write a short review of the blue kettle:" })
        for prompt in prompts {
            #expect(prompt.completions.count == 4 && Set(prompt.completions).count == 4)
            for completion in prompt.completions {
                #expect(completion.hasPrefix(" ") && !completion.hasPrefix("  "), "\(completion)")
                // One or two sentences: at most two sentence marks, none before the product is named.
                #expect(completion.filter { ".!?".contains($0) }.count <= 2, "\(completion)")
                #expect(GoldScore.words(completion).count >= 4, "\(completion)")
            }
        }
    }

    @Test func vocabularyIsSmallAndEverySentimentWordIsScored() {
        let s = DemoStatistics(Self.dataset)
        #expect(s.distinctWords < 200, "a tiny model should learn the vocabulary in minutes: \(s.distinctWords) words")
        #expect((6...11).contains(s.meanWordsPerCompletion))
        let sentiment = DemoVocabulary.positiveAdjectives + DemoVocabulary.negativeAdjectives
            + (DemoVocabulary.positiveActions + DemoVocabulary.negativeActions + DemoVocabulary.positiveFeelings
               + DemoVocabulary.negativeFeelings).flatMap(GoldScore.words)
        let scored = GoldScore.positiveWords.union(GoldScore.negativeWords)
        // Each action and feeling phrase carries exactly one scored word; neutral words carry none.
        for phrase in DemoVocabulary.positiveActions + DemoVocabulary.negativeActions + DemoVocabulary.positiveFeelings + DemoVocabulary.negativeFeelings {
            #expect(GoldScore.words(phrase).filter(scored.contains).count == 1, "\(phrase)")
        }
        let neutral = (DemoVocabulary.neutralSentences + DemoVocabulary.promptTemplates + DemoVocabulary.colors + DemoVocabulary.items
                       + DemoVocabulary.intensifiers).flatMap(GoldScore.words)
        #expect(neutral.allSatisfy { !scored.contains($0) }, "\(neutral.filter(scored.contains))")
        #expect(Set(sentiment).isSubset(of: scored.union(GoldScore.stopWords).union(["works", "does", "job", "buy", "in", "week", "working", "am", "would"])))
        #expect(Set(DemoVocabulary.positiveAdjectives).isSubset(of: GoldScore.positiveWords))
        #expect(Set(DemoVocabulary.negativeAdjectives).isSubset(of: GoldScore.negativeWords))
    }

    /// The bar: length alone must not predict the gold winner (under 60% either way).
    @Test func lengthOnlyRuleStaysUnder60Percent() throws {
        let s = DemoStatistics(Self.dataset)
        #expect(s.pairs == 3072 * 6)
        for rule in [s.lengthInCharacters, s.lengthInWords] {
            let longer = try #require(rule.longerWinsAccuracy)
            #expect(rule.pairs > 10_000)
            #expect(longer < 0.6 && 1 - longer < 0.6, "\(rule.unit): longer wins \(longer)")
            #expect(try #require(rule.bestAccuracy) < 0.53, "README states 51.1% / 50.3%: \(rule.unit) \(longer)")
        }
        // Every term of the gold score is at work in the data, and ties are a minority.
        let breakdowns = Self.dataset.prompts.flatMap(\.completions).map(GoldScore.breakdown)
        let total = Double(breakdowns.count)
        let repeated = Double(breakdowns.filter { $0.repeated > 0 }.count) / total
        let notEnded = Double(breakdowns.filter { !$0.ended }.count) / total
        #expect((0.12...0.25).contains(repeated), "\(repeated)")
        #expect((0.12...0.25).contains(notEnded), "\(notEnded)")
        #expect((0.10...0.20).contains(Double(s.goldTies) / Double(s.pairs)))
    }
}
