import Testing
@testable import RLHFTokenizer

/// The 372 cases on which tiktoken, Hugging Face tokenizers and OpenAI's encoder.py agree.
@Suite struct ReferenceCaseTests {
    @Test func casesAreThere() {
        #expect(TestData.cases.count == 372)
    }

    func check(_ tokenizer: BPETokenizer, _ label: String) {
        var failures = 0
        for c in TestData.cases {
            let ids = tokenizer.encodeAllowingSpecialTokens(c.text)
            if ids != c.ids {
                failures += 1
                if failures <= 5 {
                    Issue.record("\(label) line \(c.line) (\(c.source)) \(String(reflecting: c.text).prefix(120)): got \(ids.prefix(40)), expected \(c.ids.prefix(40))")
                }
            }
            #expect((try? tokenizer.decode(c.ids)) == c.text, "\(label) line \(c.line): decode")
        }
        #expect(failures == 0, "\(label): \(failures) of \(TestData.cases.count) cases differ")
    }

    @Test func encoderJSONAndVocabBPE() {
        check(BPETokenizer(vocabulary: TestData.gpt2FromGPT2Files), "encoder.json+vocab.bpe")
    }

    @Test func tokenizerJSON() {
        check(BPETokenizer(vocabulary: TestData.gpt2FromTokenizerJSON), "tokenizer.json")
    }

    /// Every piece through the heap merge, which otherwise only long pieces take.
    @Test func heapMergeGivesTheSameTokens() {
        check(BPETokenizer(vocabulary: TestData.gpt2FromGPT2Files, shortPieceLimit: 0), "heap merge")
    }
}
