import Foundation
import RLHFCore
import RLHFModel
import RLHFTestSupport
import XCTest

/// `rlhf model import` then `rlhf sample` on the imported folder, in-process: a GPT-2-vocabulary model
/// small enough to sample in milliseconds, saved as a Hugging Face folder with GPT-2's tokenizer.
final class SamplingCommandsTests: XCTestCase {
    func makeHuggingFaceFolder(_ dir: TemporaryDirectory) throws -> String {
        let config = GPT2Config(vocabSize: 50257, contextLength: 32, layers: 1, heads: 2, channels: 16,
                                bosTokenId: 50256, eosTokenId: 50256)
        let model = try GPT2(config: config)
        model.initializeWeights(seed: 3)
        // Sharpen the embedding so greedy and sampled paths differ from uniform noise.
        let wte = model.view(model.layout.tensor(.tokenEmbedding)!)
        for i in 0..<wte.count { wte[i] *= 40 }
        let tokenizer = try [UInt8](Data(contentsOf: TestPaths.shared("reference/gpt2-tokenizer/tokenizer.json")))
        let folder = dir.file("hf-gpt2")
        try Checkpoint.save(model: model, to: folder, extraFiles: ["tokenizer.json": tokenizer])
        // A Hugging Face folder has no manifest: drop ours so the import reads it as one.
        try FileManager.default.removeItem(atPath: folder + "/manifest.json")
        return folder
    }

    func testImportThenSampleIsDeterministicAndPerSampleStreamed() throws {
        let dir = TemporaryDirectory("sample-cli")
        let source = try makeHuggingFaceFolder(dir)
        let imported = rlhf(["model", "import", source, "--out", "ours"], in: dir)
        XCTAssertEqual(imported.code, 0, imported.stderr)
        XCTAssert(imported.stdout.hasPrefix("imported \(source) -> \(dir.file("ours")): 1 layers, 2 heads, width 16"), imported.stdout)
        XCTAssert(imported.stdout.contains("copied tokenizer.json"), imported.stdout)
        XCTAssert(FileManager.default.fileExists(atPath: dir.file("ours/manifest.json")))

        let arguments = ["sample", "--model", "ours", "--prompt", "Hello there", "--max-tokens", "6", "--seed", "11", "--json"]
        let three = rlhf(arguments + ["--samples", "3"], in: dir)
        XCTAssertEqual(three.code, 0, three.stderr)
        let lines = three.stdout.split(separator: "\n").map { try! JSONParser.parse(Array($0.utf8)).objectValue! }
        XCTAssertEqual(lines.count, 3)
        for (k, line) in lines.enumerated() {
            XCTAssertEqual(line["sample"]?.intValue, k)
            let ids = line["ids"]!.arrayValue!.compactMap(\.intValue)
            let logprobs = line["logprobs"]!.arrayValue!.compactMap(\.doubleValue)
            XCTAssert((1...6).contains(ids.count))
            XCTAssertEqual(logprobs.count, ids.count)
            XCTAssert(logprobs.allSatisfy { $0 <= 0 })
            XCTAssertEqual(line["stopped"]?.boolValue, ids.last == 50256)
            XCTAssertNotNil(line["text"]?.stringValue)
        }
        XCTAssertGreaterThan(Set(lines.map { $0["ids"]! .arrayValue!.compactMap(\.intValue) }).count, 1, "3 samples, all equal")
        // Same seed: same bytes; sample k does not depend on how many were asked for.
        XCTAssertEqual(rlhf(arguments + ["--samples", "3"], in: dir).stdout, three.stdout)
        let one = rlhf(arguments, in: dir)
        XCTAssertEqual(one.stdout, String(three.stdout.split(separator: "\n")[0]) + "\n")

        let greedy = rlhf(["sample", "--model", "ours", "--prompt", "Hello", "--temperature", "0", "--max-tokens", "5"], in: dir)
        let topOne = rlhf(["sample", "--model", "ours", "--prompt", "Hello", "--top-k", "1", "--max-tokens", "5", "--seed", "4"], in: dir)
        XCTAssertEqual(greedy.code, 0, greedy.stderr)
        XCTAssert(greedy.stdout.hasPrefix("--- sample 1 of 1: "), greedy.stdout)
        XCTAssertEqual(greedy.stdout, topOne.stdout)
    }

    /// --weights bf16 samples the model with its matrices rounded: other log-probabilities, the same
    /// for the same seed; f32 is the default. bench sample says which precision each line measured.
    func testBFloat16WeightsFlag() throws {
        let dir = TemporaryDirectory("sample-cli")
        let source = try makeHuggingFaceFolder(dir)
        XCTAssertEqual(rlhf(["model", "import", source, "--out", "ours"], in: dir).code, 0)
        let arguments = ["sample", "--model", "ours", "--prompt", "Hello there", "--max-tokens", "6", "--seed", "11", "--json", "--samples", "2"]
        let exact = rlhf(arguments, in: dir), halves = rlhf(arguments + ["--weights", "bf16"], in: dir)
        XCTAssertEqual(halves.code, 0, halves.stderr)
        XCTAssertEqual(halves.stdout.split(separator: "\n").count, 2)
        XCTAssertNotEqual(halves.stdout, exact.stdout, "bf16 weights changed no log-probability")
        XCTAssertEqual(rlhf(arguments + ["--weights", "bf16"], in: dir).stdout, halves.stdout)
        XCTAssertEqual(rlhf(arguments + ["--weights", "f32"], in: dir).stdout, exact.stdout)
        let bad = rlhf(arguments + ["--weights", "fp8"], in: dir)
        XCTAssertEqual(bad.code, 2)
        XCTAssert(bad.stderr.contains("--weights wants f32 or bf16, got 'fp8'"), bad.stderr)

        let bench = rlhf(["bench", "sample", "--config", "tiny", "--batch", "1", "--weights", "f32", "--weights", "bf16", "--iters", "1"], in: dir)
        XCTAssertEqual(bench.code, 0, bench.stderr)
        let lines = bench.stdout.split(separator: "\n").map { try! JSONParser.parse(Array($0.utf8)).objectValue! }
        XCTAssertEqual(lines.map { $0["weights"]?.stringValue }, ["f32", "bf16"])
        let bytes = lines.compactMap { $0["weight_bytes_per_token"]?.intValue }
        // tiny: the bf16 line saves 2 bytes on each of 512 * 128 + 4 * (4 * 128^2 + 2 * 128 * 512) matrix weights.
        XCTAssertEqual(bytes.count, 2)
        XCTAssertEqual(bytes[0] - bytes[1], 2 * 851_968)
    }

    func testRefusalsAndUsageErrors() throws {
        let dir = TemporaryDirectory("sample-cli")
        try FileManager.default.createDirectory(atPath: dir.file("pickled"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("pickled/config.json")))
        try Data([0x80, 0x02]).write(to: URL(fileURLWithPath: dir.file("pickled/pytorch_model.bin")))
        let pickle = rlhf(["model", "import", "pickled", "--out", "x"], in: dir)
        XCTAssertEqual(pickle.code, 1)
        XCTAssert(pickle.stderr.contains("pickle") && pickle.stderr.contains("safetensors"), pickle.stderr)
        XCTAssertEqual(rlhf(["model", "import", "pickled"], in: dir).code, 2)
        XCTAssertEqual(rlhf(["sample", "--model", "x"], in: dir).code, 2)
        XCTAssertEqual(rlhf(["sample", "--model", "x", "--prompt", "a", "--top-p", "0"], in: dir).code, 2)
        let missing = rlhf(["sample", "--model", "nowhere", "--prompt", "a"], in: dir)
        XCTAssertEqual(missing.code, 1)
        XCTAssert(missing.stderr.contains("nowhere"), missing.stderr)
    }

    func testBenchSamplePrintsOneJSONLinePerConfigAndBatch() throws {
        let dir = TemporaryDirectory("sample-cli")
        let run = rlhf(["bench", "sample", "--config", "tiny", "--batch", "2", "--batch", "3", "--iters", "1"], in: dir)
        XCTAssertEqual(run.code, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map { try! JSONParser.parse(Array($0.utf8)).objectValue! }
        XCTAssertEqual(lines.map { $0["batch"]?.intValue }, [2, 3])
        for line in lines {
            XCTAssertEqual(line["config"]?.stringValue, "tiny")
            XCTAssertEqual(line["unit"]?.stringValue, "new tokens/s")
            XCTAssertEqual(line["new_tokens"]?.intValue, 96)
            XCTAssertEqual(line["top_k"]?.intValue, 50)
            XCTAssertGreaterThan(line["median"]?.doubleValue ?? 0, 0)
        }
    }
}
