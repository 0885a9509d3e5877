import Foundation
import RLHFCommands
import RLHFCore
import RLHFStore
import RLHFTestSupport
import Testing

/// `rlhf pretrain`, `rlhf sft`, `rlhf runs` and `rlhf metrics` run in-process on a slice of the demo
/// dataset with a one-layer model, so each run takes a fraction of a second.
@Suite struct PolicyCommandTests {
    let directory = TemporaryDirectory("policy-commands")
    var store: String { directory.file("rlhf.sqlite") }

    /// Lines of a committed demo file, from `from` on.
    static func demoLines(_ name: String, from: Int = 0, count: Int) throws -> String {
        let text = try String(contentsOf: TestPaths.repo("datasets/demo/\(name)"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst(from).prefix(count).joined(separator: "\n") + "\n"
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func run(_ arguments: [String]) -> CLIResult { rlhf(arguments + ["--store", store], in: directory) }

    /// A store with 240 train, 40 validation and 40 test SFT pairs, a 300-token tokenizer, and a
    /// one-layer model shape in `shape.json`.
    func prepare() throws {
        #expect(run(["init"]).code == 0)
        for (split, count) in [("train", 240), ("validation", 40), ("test", 40)] {
            let file = try write(try Self.demoLines("sft-\(split).jsonl", count: count), "sft-\(split).jsonl")
            let imported = run(["import", "sft", file, "--split", split])
            #expect(imported.code == 0, "\(imported.stderr)")
        }
        #expect(run(["tokenizer", "train", "--vocab-size", "300", "--from-store", "--out", "tok"]).code == 0)
        _ = try write(#"{"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 32, "n_positions": 64, "vocab_size": 1}"#, "shape.json")
    }

    static let sftFlags = ["--max-steps", "8", "--save-steps", "4", "--eval-steps", "4", "--batch-size", "4", "--learning-rate", "3e-3"]

    @Test func resumeIsBitExactEvenAfterPairsAndLabelsWereAdded() throws {
        try prepare()
        let straight = run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "straight"] + Self.sftFlags)
        #expect(straight.code == 0, "\(straight.stderr)")
        #expect(straight.stderr.contains("step 4 validation: loss") && straight.stderr.contains("step 8 test: loss"))

        // New SFT pairs in the train split and labels on them: a new run would train on more pairs.
        let more = try write(try Self.demoLines("sft-train.jsonl", from: 240, count: 80), "more.jsonl")
        #expect(run(["import", "sft", more, "--split", "train"]).code == 0)
        #expect(run(["simulate-labels", "--annotators", "1", "--limit", "50", "--seed", "1"]).code == 0)

        let resumed = run(["sft", "--resume", "straight-checkpoints/checkpoint-4", "--out", "resumed"])
        #expect(resumed.code == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("on its 240 saved training examples"))
        let a = try Data(contentsOf: URL(fileURLWithPath: directory.file("straight/model.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory.file("resumed/model.safetensors")))
        #expect(a == b, "resumed weights differ from the straight run's")

        // The same losses for steps 5-8 in both runs' records, and the runs listed with their checkpoints.
        let s = try Store(path: store)
        func losses(_ run: Int64) throws -> [Double] {
            var values: [Double] = []
            try s.metrics(runID: run) { step, name, value in if name == "loss" && step > 4, let value { values.append(value) } }
            return values
        }
        #expect(try losses(1).count == 4 && losses(1) == losses(2))
        let runs = run(["runs", "--json"])
        let lines = runs.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)).objectValue }
        #expect(lines.count == 2)
        #expect(lines.map { $0["kind"]?.stringValue } == ["sft", "sft"])
        #expect(lines.map { $0["status"]?.stringValue } == ["finished", "finished"])
        #expect(lines.map { $0["steps"]?.intValue } == [8, 8])
        #expect(lines.map { $0["checkpoints"]?.intValue } == [2, 1])
        #expect(lines[0]["last_metrics"]?.objectValue?["eval_loss"] != nil)
        #expect(try s.count("SELECT count(*) FROM checkpoints WHERE length(manifest_sha256) = 64 AND step IN (4, 8)") == 3)
        let csv = run(["metrics", "1"])
        #expect(csv.stdout.hasPrefix("step,name,value\n0,examples,240\n0,examples_left_out,0\n"))
        #expect(csv.stdout.contains("\n8,test_perplexity,"))
    }

    @Test func theOutputIsACompleteHuggingFaceFolder() throws {
        try prepare()
        let result = run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "model", "--max-steps", "2"])
        #expect(result.code == 0, "\(result.stderr)")
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "manifest.json", "training_examples.json"] {
            #expect(FileManager.default.fileExists(atPath: directory.file("model/\(file)")), "\(file) missing")
        }
        let config = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("model/config.json"))))).objectValue
        #expect(config?["vocab_size"]?.intValue == 300 && config?["eos_token_id"]?.intValue == 299)
        // The folder is a model for the next stage: SFT again from it.
        let again = run(["sft", "--init", "model", "--out", "again", "--max-steps", "1"])
        #expect(again.code == 0, "\(again.stderr)")
        // --out is never overwritten.
        let twice = run(["sft", "--init", "model", "--out", "again", "--max-steps", "1"])
        #expect(twice.code == 1 && twice.stderr.contains("already exists"))
    }

    @Test func pretrainTrainsATokenizerAndWorksWithoutAStore() throws {
        let lines = try Self.demoLines("sft-train.jsonl", count: 200).split(separator: "\n").map { line -> String in
            let o = try JSONParser.parse(Array(line.utf8)).objectValue
            return JSONWriter.encode(.object(JSONObject([("text", .string((o?["prompt"]?.stringValue ?? "") + (o?["completion"]?.stringValue ?? "")))])))
        }
        _ = try write(lines.joined(separator: "\n") + "\n", "corpus.jsonl")
        _ = try write(#"{"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 32, "n_positions": 32, "vocab_size": 1}"#, "shape.json")
        let result = rlhf(["pretrain", "--corpus", "corpus.jsonl", "--vocab-size", "280", "--config", "shape.json",
                           "--out", "base", "--max-steps", "6", "--save-steps", "3"], in: directory)
        #expect(result.code == 0, "\(result.stderr)")
        #expect(result.stderr.contains("trained a tokenizer of 280 tokens") && result.stderr.contains("pretraining on 200 documents"))
        #expect(!result.stderr.contains("recorded in"))
        let tokenizer = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("base/tokenizer.json"))))).objectValue
        #expect(tokenizer?["model"]?.objectValue?["vocab"]?.objectValue?.count == 280)
        let resumed = rlhf(["pretrain", "--resume", "base-checkpoints/checkpoint-3", "--out", "base2"], in: directory)
        #expect(resumed.code == 0, "\(resumed.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: directory.file("base/model.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory.file("base2/model.safetensors")))
        #expect(a == b)
        // A changed corpus file is noticed.
        _ = try write(#"{"text": "changed"}"# + "\n", "corpus.jsonl")
        let refused = rlhf(["pretrain", "--resume", "base-checkpoints/checkpoint-3", "--out", "base3"], in: directory)
        #expect(refused.code == 1 && refused.stderr.contains("training examples changed"))
    }

    @Test func aFlagBeatsTheHyperparameterFile() throws {
        try prepare()
        let hparams = try write(#"{"learning_rate": 0.002, "max_steps": 5, "max_length": 40}"#, "h.json")
        let result = run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "m", "--hparams", hparams, "--max-steps", "2"])
        #expect(result.code == 0, "\(result.stderr)")
        let s = try Store(path: store)
        var config = ""
        try s.forEachRow("SELECT config FROM runs WHERE id = 1") { config = $0.text(0) }
        let hyperparameters = try JSONParser.parse(Array(config.utf8)).objectValue?["hyperparameters"]?.objectValue
        #expect(hyperparameters?["max_steps"]?.intValue == 2)
        #expect(hyperparameters?["max_length"]?.intValue == 40)
        #expect(hyperparameters?["learning_rate"]?.doubleValue == 0.002)
        #expect(try s.count("SELECT max(step) FROM run_metrics WHERE run_id = 1") == 2)
    }

    @Test func errorsSayWhatToDo() throws {
        #expect(run(["init"]).code == 0)
        #expect(run(["tokenizer", "train", "--vocab-size", "260", "--out", "tok", try write("a b c a b c", "t.txt")]).code == 0)
        let empty = run(["sft", "--config", "tiny", "--tokenizer", "tok", "--out", "m"])
        #expect(empty.code == 1 && empty.stderr.contains("no SFT pairs in the train split") && empty.stderr.contains("rlhf split"))
        let typo = run(["sft", "--config", "tiny", "--tokenizer", "tok", "--out", "m", "--hparams", try write(#"{"learning_rat": 1}"#, "h.json")])
        #expect(typo.code == 1 && typo.stderr.contains("unknown hyperparameter \"learning_rat\"; did you mean \"learning_rate\"?"))
        let both = run(["sft", "--resume", "x", "--out", "m", "--learning-rate", "1"])
        #expect(both.code == 2 && both.stderr.contains("--resume continues a run"))
        let missing = run(["sft", "--out", "m"])
        #expect(missing.code == 2 && missing.stderr.contains("--init DIR, or --config"))
    }

    @Test func aNonFiniteLossFailsTheRunNamingTheStep() throws {
        try prepare()
        let result = run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "m", "--max-steps", "4",
                          "--hparams", try write(#"{"learning_rate": 1e30, "max_grad_norm": 1e30, "warmup_steps": 0}"#, "h.json")])
        #expect(result.code == 1)
        #expect(result.stderr.contains("error: stopped at step 2"), "\(result.stderr)")
        let runs = run(["runs"])
        #expect(runs.stdout.contains("failed") && runs.stdout.contains("stopped at step 2"))
    }
}
