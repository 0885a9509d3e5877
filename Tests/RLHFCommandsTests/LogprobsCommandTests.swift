import Foundation
import RLHFCommands
import RLHFModel
import RLHFTestSupport
import Testing

/// `rlhf logprobs TEXT`: the text goes through the model folder's own tokenizer and scores exactly as the
/// same ids given with --ids.
@Suite struct LogprobsCommandTests {
    /// A small random model over GPT-2's real vocabulary, saved with GPT-2's tokenizer.json beside it.
    func modelFolder(withTokenizer: Bool) throws -> (TemporaryDirectory, String) {
        let config = GPT2Config(vocabSize: 50257, contextLength: 32, layers: 1, heads: 2, channels: 16)
        let model = try GPT2(config: config)
        model.initializeWeights(seed: 11)
        let directory = TemporaryDirectory()
        let path = directory.file("model")
        var extra: [String: [UInt8]] = [:]
        if withTokenizer {
            let file = TestPaths.shared("reference/gpt2-tokenizer/tokenizer.json")
            extra["tokenizer.json"] = Array(try Data(contentsOf: file))
        }
        try Checkpoint.save(model: model, optimizer: nil, trainerState: nil, to: path, extraFiles: extra)
        return (directory, path)
    }

    @Test func textScoresLikeItsIds() throws {
        let (directory, path) = try modelFolder(withTokenizer: true)
        let byText = rlhf(["logprobs", "--model", path, "--json", "Hello world<|endoftext|>"], in: directory)
        #expect(byText.code == 0, "\(byText.stderr)")
        // GPT-2 ids of the same text, special-token text kept as text (ordinary encoding).
        let ids = "15496,995,27,91,437,1659,5239,91,29"
        let byIds = rlhf(["logprobs", "--model", path, "--json", "--ids", ids], in: directory)
        #expect(byIds.code == 0, "\(byIds.stderr)")
        #expect(byText.stdout == byIds.stdout)
        #expect(byText.stdout.hasPrefix("{\"ids\": [15496, 995, 27, 91,"))
    }

    @Test func textWithoutTokenizerIsAClearError() throws {
        let (directory, path) = try modelFolder(withTokenizer: false)
        let run = rlhf(["logprobs", "--model", path, "Hello world"], in: directory)
        #expect(run.code == 1)
        #expect(run.stderr.contains("has no usable tokenizer") && run.stderr.contains("--ids"))
        let short = try modelFolder(withTokenizer: true)
        let one = rlhf(["logprobs", "--model", short.1, "Hello"], in: short.0)
        #expect(one.code == 1)
        #expect(one.stderr.contains("at least two"))
    }
}
