import Foundation
import RLHFCommands
import RLHFCore
import RLHFStore
import RLHFTestSupport
import Testing

/// `rlhf generate` and `rlhf chat` on a one-layer model trained for a few steps on a slice of the demo
/// dataset: determinism by seed, complete provenance, one row per distinct text.
@Suite struct GenerateCommandTests {
    let directory = TemporaryDirectory("generate-commands")

    func run(_ arguments: [String], store: String = "rlhf.sqlite", stdin: String = "") -> CLIResult {
        rlhf(arguments + (arguments.first == "chat" ? [] : ["--store", directory.file(store)]), in: directory, stdin: stdin)
    }

    /// A store with 40 prompts (the demo's first validation ones, here in the train split) and their SFT pairs; with `train`, a model trained on them.
    func prepare(store: String = "rlhf.sqlite", train: Bool = true) throws {
        #expect(run(["init"], store: store).code == 0)
        for kind in ["prompts", "sft"] {
            let text = try String(contentsOf: TestPaths.repo("datasets/demo/\(kind)-validation.jsonl"), encoding: .utf8)
            let lines = text.split(separator: "\n").prefix(kind == "sft" ? 160 : 40).joined(separator: "\n") + "\n"
            let path = directory.file("\(store)-\(kind).jsonl")
            try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
            #expect(run(["import", kind, path, "--split", "train"], store: store).code == 0)
        }
        guard train else { return }
        #expect(run(["tokenizer", "train", "--vocab-size", "300", "--from-store", "--out", "tok"], store: store).code == 0)
        try Data(#"{"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 32, "n_positions": 64, "vocab_size": 1}"#.utf8)
            .write(to: URL(fileURLWithPath: directory.file("shape.json")))
        let sft = run(["sft", "--config", "shape.json", "--tokenizer", "tok", "--out", "policy", "--max-steps", "6",
                       "--learning-rate", "3e-3"], store: store)
        #expect(sft.code == 0, "\(sft.stderr)")
    }

    /// (prompt text, sample index, completion text) of every generated provenance row.
    func samples(_ store: Store) throws -> [String] {
        var rows: [String] = []
        try store.forEachRow("""
            SELECT p.text, cp.sample_index, c.text FROM completion_provenance cp JOIN arrivals a ON a.id = cp.arrival_id
            JOIN completions c ON c.id = cp.completion_id JOIN prompts p ON p.id = c.prompt_id
            WHERE a.origin = 'generated' ORDER BY p.text, cp.sample_index
            """) { rows.append("\($0.text(0))|\($0.int(1))|\($0.text(2))") }
        return rows
    }

    @Test func theSameSeedGivesTheSameTexts() throws {
        try prepare()
        try prepare(store: "other.sqlite", train: false)
        let a = run(["generate", "--model", "policy", "--split", "train", "--samples", "3", "--seed", "4", "--max-tokens", "16"])
        #expect(a.code == 0, "\(a.stderr)")
        // Another store, and the prompts asked for in two calls: the same texts all the same.
        #expect(run(["generate", "--model", "policy", "--samples", "3", "--seed", "4", "--max-tokens", "16", "--limit", "7"], store: "other.sqlite").code == 0)
        #expect(run(["generate", "--model", "policy", "--samples", "3", "--seed", "4", "--max-tokens", "16"], store: "other.sqlite").code == 0)
        let first = try samples(Store(path: directory.file("rlhf.sqlite")))
        let second = try samples(Store(path: directory.file("other.sqlite")))
        #expect(first.count == 120 && first == second)
        let reseeded = run(["generate", "--model", "policy", "--samples", "3", "--seed", "5", "--max-tokens", "16"], store: "other.sqlite")
        #expect(reseeded.code == 0)
        #expect(try samples(Store(path: directory.file("other.sqlite"))).count == 240)
        #expect(!reseeded.stdout.hasPrefix("added 0 "))
    }

    @Test func provenanceIsCompleteAndIdenticalTextsShareARow() throws {
        try prepare()
        // Greedy: the three samples of a prompt are one text, so one row with three provenances.
        let greedy = run(["generate", "--model", "policy", "--samples", "3", "--temperature", "0", "--max-tokens", "12", "--limit", "5"])
        #expect(greedy.code == 0, "\(greedy.stderr)")
        let store = try Store(path: directory.file("rlhf.sqlite"))
        let generated = try store.count("SELECT count(DISTINCT completion_id) FROM completion_origins WHERE origin = 'generated'")
        #expect(greedy.stdout == "added \(generated) distinct completions (\(15 - generated) samples repeated a text already stored)\n")
        #expect(generated <= 5)
        #expect(try store.count("SELECT count(*) FROM completion_origins WHERE origin = 'generated'") == 15)
        #expect(try store.count("""
            SELECT count(*) FROM (SELECT completion_id FROM completion_origins WHERE origin = 'generated'
            GROUP BY completion_id HAVING group_concat(sample_index) = '0,1,2')
            """) == generated)
        // Every provenance names the checkpoint (the model folder's manifest), the settings and the seed.
        let manifest = SHA256.hex(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("policy/manifest.json")))))
        var arrivals: [String] = []
        try store.forEachRow("""
            SELECT DISTINCT k.manifest_sha256, o.settings, o.seed FROM completion_origins o JOIN checkpoints k ON k.id = o.checkpoint_id
            WHERE o.origin = 'generated'
            """) { arrivals.append("\($0.text(0)) \($0.text(1)) \($0.int(2))") }
        #expect(arrivals == ["\(manifest) {\"max_new_tokens\":12,\"samples\":3,\"temperature\":0,\"top_k\":0,\"top_p\":1} 0"])
        #expect(try store.count("SELECT count(*) FROM completion_origins WHERE origin = 'generated' AND (checkpoint_id IS NULL OR settings IS NULL OR seed IS NULL OR sample_index IS NULL)") == 0)
        // The same call again adds no row at all.
        let again = run(["generate", "--model", "policy", "--samples", "3", "--temperature", "0", "--max-tokens", "12", "--limit", "5"])
        #expect(again.stdout == "added 0 distinct completions (15 samples repeated a text already stored)\n")
        #expect(try store.count("SELECT count(*) FROM completion_origins") == 160 + 15)
        // Chat at temperature 0 answers as greedy generate does.
        var greedyTexts: [String: String] = [:]
        try store.forEachRow("SELECT p.text, c.text FROM completion_origins o JOIN completions c ON c.id = o.completion_id JOIN prompts p ON p.id = c.prompt_id WHERE o.origin = 'generated'") {
            greedyTexts[$0.text(0)] = $0.text(1)
        }
        let prompts = Array(greedyTexts.keys.sorted().prefix(2))
        let chat = run(["chat", "--model", "policy", "--temperature", "0", "--max-tokens", "12"], stdin: prompts.joined(separator: "\n") + "\n\n/quit\nignored\n")
        #expect(chat.code == 0, "\(chat.stderr)")
        let replies = chat.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(replies.count == 2)
        for (prompt, reply) in zip(prompts, replies) {
            #expect(reply.hasPrefix(greedyTexts[prompt] ?? "?"), "chat: \(reply) generate: \(greedyTexts[prompt] ?? "?")")
        }
    }

    /// bf16 weights are part of what decides the texts, so the provenance records them.
    @Test func bfloat16WeightsAreRecordedInTheProvenance() throws {
        try prepare()
        let result = run(["generate", "--model", "policy", "--samples", "2", "--max-tokens", "8", "--limit", "3", "--weights", "bf16"])
        #expect(result.code == 0, "\(result.stderr)")
        let store = try Store(path: directory.file("rlhf.sqlite"))
        var settings: [String] = []
        try store.forEachRow("SELECT DISTINCT settings FROM completion_origins WHERE origin = 'generated'") { settings.append($0.text(0)) }
        #expect(settings == [#"{"max_new_tokens":8,"samples":2,"temperature":1,"top_k":0,"top_p":1,"weights":"bf16"}"#])
        #expect(try store.count("SELECT count(*) FROM completion_origins WHERE origin = 'generated'") == 6)
        let bad = run(["generate", "--model", "policy", "--samples", "1", "--weights", "int8"])
        #expect(bad.code == 2 && bad.stderr.contains("--weights wants f32 or bf16"), "\(bad.stderr)")
    }

    @Test func promptsFromAFileJoinTheStore() throws {
        try prepare()
        let file = directory.file("new-prompts.jsonl")
        try Data("{\"prompt\": \"Review the gold kettle:\"}\n\n{\"prompt\": \"Write a short review of the red kettle:\"}\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = run(["generate", "--model", "policy", "--prompts", file, "--samples", "2", "--max-tokens", "8"])
        #expect(result.code == 0, "\(result.stderr)")
        let store = try Store(path: directory.file("rlhf.sqlite"))
        #expect(try store.count("SELECT count(*) FROM prompts WHERE text = 'Review the gold kettle:' AND split IS NULL") == 1)
        #expect(try store.count("SELECT count(*) FROM completion_origins WHERE origin = 'generated'") == 4)
        let bad = run(["generate", "--model", "policy", "--split", "train", "--prompts", file, "--samples", "1"])
        #expect(bad.code == 2)
        let none = run(["generate", "--model", "policy", "--split", "test", "--samples", "1"])
        #expect(none.code == 1 && none.stderr.contains("no prompts"))
    }
}
