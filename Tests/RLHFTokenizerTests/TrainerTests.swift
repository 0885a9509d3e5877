import Foundation
import RLHFTestSupport
import Testing
@testable import RLHFTokenizer

@Suite struct TrainerTests {
    /// A tiny corpus whose first merges can be worked out by hand.
    @Test func learnsTheMostFrequentPairFirst() throws {
        let vocabulary = try BPETrainer.train(texts: ["ab ab ab xy"], vocabSize: 256 + 2 + 1, minFrequency: 1)
        // Pieces: "ab", " ab", " ab", " xy". Pairs: (a,b) x3, (' ',a) x2, (' ',x) x1, (x,y) x1.
        // First merge: a+b. Then (' ', ab) x2.
        #expect(vocabulary.count == 259)
        #expect(vocabulary.mergeCount == 2)
        #expect(vocabulary.bytes(of: 256) == Array("ab".utf8))
        #expect(vocabulary.bytes(of: 257) == Array(" ab".utf8))
        #expect(vocabulary.addedTokens == [AddedToken(id: 258, content: "<|endoftext|>")])
        let tokenizer = BPETokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encodeOrdinary("ab ab") == [256, 257])
    }

    @Test func byteTokensHaveGPT2Ids() throws {
        let trained = try BPETrainer.train(texts: ["hello"], vocabSize: 300)
        for id in 0..<256 {
            #expect(trained.bytes(of: id) == TestData.gpt2FromGPT2Files.bytes(of: id))
        }
    }

    @Test func stopsWhenNoPairIsFrequentEnough() throws {
        let vocabulary = try BPETrainer.train(texts: ["abc"], vocabSize: 1000, minFrequency: 2)
        #expect(vocabulary.count == 257)
        #expect(vocabulary.mergeCount == 0)
    }

    @Test func refusesAVocabularyTooSmallForTheBytes() {
        #expect(throws: TokenizerError.self) { try BPETrainer.train(texts: ["x"], vocabSize: 256) }
        #expect(throws: TokenizerError.self) {
            try BPETrainer.train(texts: ["x"], vocabSize: 300, specialTokens: ["<a>", "<a>"])
        }
    }

    /// The trainer pre-tokenizes ordinarily: the text `<|endoftext|>` is ordinary characters.
    @Test func endOfTextTextIsNotSpecialInTrainingData() throws {
        let text = String(repeating: "<|endoftext|>", count: 50)
        let vocabulary = try BPETrainer.train(texts: [text], vocabSize: 400)
        let tokenizer = BPETokenizer(vocabulary: vocabulary)
        let eot = try #require(vocabulary.endOfTextID)
        #expect(!tokenizer.encodeOrdinary(text).contains(eot))
        #expect(tokenizer.encodeAllowingSpecialTokens(text) == [Int](repeating: eot, count: 50))
    }

    /// Same texts, same vocabulary, bit for bit; and the result survives a save and a load.
    @Test func trainsDeterministicallyAndReloadsTheSame() throws {
        let texts = Array(TestData.hhTexts.prefix(800))
        let a = try BPETrainer.train(texts: texts, vocabSize: 2000)
        let b = try BPETrainer.train(texts: texts, vocabSize: 2000)
        #expect(a.count == 2000)
        #expect(a.merges.map { [$0.left, $0.right] } == b.merges.map { [$0.left, $0.right] })

        let folder = TemporaryDirectory("tokenizer-train")
        try TokenizerFiles.save(a, directory: folder.path)
        let loaded = try TokenizerFiles.load(directory: folder.path)
        #expect(loaded.count == a.count)
        #expect(loaded.merges.map { [$0.left, $0.right] } == a.merges.map { [$0.left, $0.right] })
        #expect(loaded.addedTokens == a.addedTokens)
        let original = BPETokenizer(vocabulary: a)
        let reloaded = BPETokenizer(vocabulary: loaded)
        for text in TestData.hhTexts.suffix(300) + ["<|endoftext|> and \u{0}NUL 我喜欢吃红色的苹果"] {
            let ids = original.encodeAllowingSpecialTokens(text)
            #expect(reloaded.encodeAllowingSpecialTokens(text) == ids)
            #expect(try reloaded.decode(ids) == text)
        }
    }
}
