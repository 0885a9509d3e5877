import Foundation
import RLHFCommands
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTestSupport
import Testing

/// `rlhf train-rm` and `rlhf score` end to end on slices of the demo dataset with simulated annotators,
/// tiny models (2 layers, width 32, context 48) and a 300-token tokenizer.
@Suite struct RewardCommandTests {
    let directory = TemporaryDirectory("reward-commands")
    var store: String { directory.file("rlhf.sqlite") }

    func run(_ arguments: [String], stdin: String = "") -> CLIResult {
        rlhf(arguments + ["--store", store], in: directory, stdin: stdin)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func demoLines(_ name: String, count: Int) throws -> String {
        let text = try String(contentsOf: TestPaths.repo("datasets/demo/\(name)"), encoding: .utf8)
        return text.split(separator: "\n").prefix(count).joined(separator: "\n") + "\n"
    }

    /// The first `prompts` prompts of each split with their four SFT completions, labels by three simulated
    /// annotators (overlap 2), a tokenizer, and an SFT model trained 100 steps (the policy and the trunk).
    func prepare(prompts: [(String, Int)], split: Bool = true) throws {
        #expect(run(["init"]).code == 0)
        for (name, count) in prompts {
            let p = try write(try Self.demoLines("prompts-\(name).jsonl", count: count), "prompts-\(name).jsonl")
            let s = try write(try Self.demoLines("sft-\(name).jsonl", count: 4 * count), "sft-\(name).jsonl")
            let extra = split ? ["--split", name] : []
            #expect(run(["import", "prompts", p] + extra).code == 0)
            #expect(run(["import", "sft", s] + extra).code == 0)
        }
        let labels = run(["simulate-labels", "--annotators", "3", "--overlap", "2", "--seed", "1"])
        #expect(labels.code == 0, "\(labels.stderr)")
        #expect(run(["tokenizer", "train", "--vocab-size", "300", "--from-store", "--out", "tok"]).code == 0)
        _ = try write(#"{"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 32, "n_positions": 48, "vocab_size": 1}"#, "shape.json")
        // Without splits there is no SFT data to train on: a briefly pretrained model stands in.
        let sft = split
            ? run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "sft", "--max-steps", "100",
                   "--batch-size", "16", "--learning-rate", "3e-3", "--eval-steps", "0"])
            : rlhf(["pretrain", "--corpus", try write(#"{"text": "It works well."}"# + "\n", "corpus.jsonl"), "--tokenizer", "tok",
                    "--config", "shape.json", "--out", "sft", "--max-steps", "1"], in: directory)
        #expect(sft.code == 0, "\(sft.stderr)")
    }

    static func jsonLines(_ text: String) -> [JSONObject] {
        text.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)).objectValue }
    }

    /// The demo check: on held-out prompts, the reward model ranks labeled pairs as the gold rule does
    /// about as often as the simulated annotators themselves (their noise ceiling), far above the
    /// length-only rule. Then `rlhf score --split test --store` saves one reward per completion under the
    /// reward model's checkpoint id.
    @Test func demoRewardModelReachesTheAnnotatorsCeiling() throws {
        try prepare(prompts: [("train", 800), ("validation", 100), ("test", 150)])
        let trained = run(["train-rm", "--init", "sft", "--out", "rm", "--learning-rate", "3e-3", "--epochs", "10",
                           "--normalization-samples", "64"])
        #expect(trained.code == 0, "\(trained.stderr)")
        let report = try #require(Self.jsonLines(trained.stdout).first { $0["set"]?.stringValue == "test" })
        let labelAccuracy = try #require(report["accuracy"]?.doubleValue)
        #expect(labelAccuracy > 0.7, "test accuracy against the labels \(labelAccuracy)")

        let scored = run(["score", "--rm", "rm", "--split", "test"])
        #expect(scored.code == 0, "\(scored.stderr)")
        var reward: [Int64: Double] = [:]
        for line in Self.jsonLines(scored.stdout) {
            if let id = line["completion_id"]?.intValue, let r = line["reward"]?.doubleValue { reward[Int64(id)] = r }
        }
        let s = try Store(path: store)
        var text: [Int64: String] = [:]
        try s.forEachRow("SELECT c.id, c.text FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE p.split = 'test'") {
            text[$0.int64(0)] = $0.text(1)
        }
        #expect(reward.count == text.count && reward.count == 600)
        var pairs = Set<[Int64]>()
        try s.forEachRow("SELECT cl.first_id, cl.second_id FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id WHERE p.split = 'test'") {
            pairs.insert([$0.int64(0), $0.int64(1)])
        }
        var agree = 0, decided = 0
        for pair in pairs {
            let (a, b) = (pair[0], pair[1])
            let ga = GoldScore.score(text[a] ?? ""), gb = GoldScore.score(text[b] ?? "")
            if ga == gb { continue }
            decided += 1
            if ((reward[a] ?? 0) > (reward[b] ?? 0)) == (ga > gb) { agree += 1 }
        }
        let goldAccuracy = Double(agree) / Double(max(1, decided))
        let ceilingReport = Self.jsonLines(run(["simulate-labels", "--report", "--split", "test", "--json"]).stdout)
        let ceiling = try #require(ceilingReport.first { $0["name"]?.stringValue == "(all)" }?["accuracy"]?.doubleValue)
        let lengthOnly = try #require(ceilingReport.first { $0["kind"]?.stringValue == "length_only" }?["longer_wins"]?.doubleValue)
        print("demo reward model: against gold \(goldAccuracy) on \(decided) pairs; annotators \(ceiling); longer wins \(lengthOnly); against labels \(labelAccuracy)")
        #expect(goldAccuracy >= ceiling - 0.05, "reward model \(goldAccuracy) vs the annotators' \(ceiling)")
        #expect(goldAccuracy >= lengthOnly + 0.25, "reward model \(goldAccuracy) vs length-only \(lengthOnly)")

        // Saved with --store under the reward model's checkpoint row (train-rm recorded it).
        let saved = run(["score", "--rm", "rm", "--split", "test"])   // run() passes --store
        #expect(saved.stderr.contains("saved 600 rewards"))
        #expect(try s.count("SELECT count(*) FROM rewards r JOIN checkpoints c ON c.id = r.checkpoint_id WHERE c.path LIKE '%/rm'") == 600)
        // Without --store: printed, nothing recorded (the same values).
        let unsaved = rlhf(["score", "--rm", "rm", "--split", "test"], in: directory, environment: ["RLHF_STORE": store])
        #expect(unsaved.code == 0 && !unsaved.stderr.contains("saved") && unsaved.stdout == scored.stdout)
    }

    @Test func scoreReadsJSONLinesInOrderAndMarksTruncation() throws {
        try prepare(prompts: [("train", 40), ("validation", 10), ("test", 10)])
        #expect(run(["train-rm", "--init", "sft", "--out", "rm", "--max-steps", "3", "--normalization-samples", "8"]).code == 0)
        let long = String(repeating: " very", count: 80) + " good."
        let input = [("Write a short review of the red kettle:", " It works well."), ("Q:", long),
                     ("Write a short review of the red kettle:", " It leaks")]
            .map { JSONWriter.encode(.object(JSONObject([("prompt", .string($0.0)), ("completion", .string($0.1))]))) }
            .joined(separator: "\n") + "\n\n"
        let scored = rlhf(["score", "--rm", "rm", "--jsonl"], in: directory, stdin: input)
        #expect(scored.code == 0, "\(scored.stderr)")
        let lines = Self.jsonLines(scored.stdout)
        #expect(lines.count == 3)
        #expect(lines.map { $0["truncated"]?.boolValue } == [nil, true, nil])
        // The same reward one at a time, in the same order.
        let one = rlhf(["score", "--rm", "rm", "--prompt", "Write a short review of the red kettle:", "--completion", " It leaks"], in: directory)
        #expect(one.code == 0 && Self.jsonLines(one.stdout).first?["reward"] == lines[2]["reward"])
        let bad = rlhf(["score", "--rm", "rm", "--jsonl"], in: directory, stdin: "{\"prompt\": \"a\"}\n")
        #expect(bad.code == 1 && bad.stderr.contains("stdin:1") && bad.stderr.contains("\"completion\""))
        let notRM = rlhf(["score", "--rm", "sft", "--prompt", "a", "--completion", "b"], in: directory)
        #expect(notRM.code == 1 && notRM.stderr.contains("not a reward model"))
    }

    @Test func anEmptyTrainSplitSaysToRunSplit() throws {
        try prepare(prompts: [("train", 10)], split: false)
        let result = run(["train-rm", "--init", "sft", "--out", "rm"])
        #expect(result.code == 1 && result.stderr.contains("none in the train split") && result.stderr.contains("run rlhf split"),
                "\(result.stderr)")
        let resumeWithFlags = run(["train-rm", "--resume", "x", "--out", "rm", "--margin"])
        #expect(resumeWithFlags.code == 2 && resumeWithFlags.stderr.contains("--resume continues a run"))
        let ties = run(["train-rm", "--init", "sft", "--out", "rm", "--ties", "draw"])
        #expect(ties.code == 2 && ties.stderr.contains("leave-out, davidson"))
    }

    /// N steps straight equal N/2 + --resume + N/2 bit for bit, with Davidson's tie parameter and early
    /// stopping's state carried in the checkpoint, even after more labels arrived in between.
    @Test func resumeIsBitExactWithDavidsonTies() throws {
        try prepare(prompts: [("train", 60), ("validation", 10), ("test", 10)])
        let flags = ["--ties", "davidson", "--margin", "--max-steps", "8", "--save-steps", "4", "--eval-steps", "2",
                     "--learning-rate", "3e-3", "--normalization-samples", "8",
                     "--hparams", try write(#"{"early_stopping_patience": 100}"#, "h.json")]
        let straight = run(["train-rm", "--init", "sft", "--out", "straight"] + flags)
        #expect(straight.code == 0, "\(straight.stderr)")
        #expect(run(["simulate-labels", "--annotators", "1", "--overlap", "3", "--seed", "9"]).code == 0)
        let resumed = run(["train-rm", "--resume", "straight-checkpoints/checkpoint-4", "--out", "resumed"])
        #expect(resumed.code == 0, "\(resumed.stderr)")
        for file in ["model.safetensors", "reward_model.json", "normalization_samples.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: directory.file("straight/\(file)")))
            let b = try Data(contentsOf: URL(fileURLWithPath: directory.file("resumed/\(file)")))
            #expect(a == b, "\(file) differs between the straight and the resumed run")
        }
        let info = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("straight/reward_model.json"))))).objectValue
        #expect(info?["ties"]?.stringValue == "davidson" && info?["log_tie_parameter"]?.doubleValue != nil)
        #expect(info?["log_tie_parameter"]?.doubleValue != 0)
    }
}
