import Foundation
import RLHFCore
import RLHFData
import RLHFStore

/// The demo's policy stages (issue 10): pretraining a tiny GPT-2 on the train split's reviews as raw
/// text, SFT from it on the prompt/completion pairs, then the policy's own samples into the store, where
/// simulated annotators label them against the SFT completions. Step counts are small so the whole demo
/// stays a few minutes on two cores; `README.md` gives the settings that reach the quality bar.
extension DemoCommand {
    func policyStages(storePath: String, datasetDir: String, _ context: CommandContext) throws {
        // Raw text for stage one: each train pair as one document, prompt then completion.
        let corpusPath = dir + "/corpus.jsonl"
        var corpus = ""
        let reader = try DataFile.lineReader(path: "\(datasetDir)/sft-train.jsonl")
        while let line = try reader.nextLineBytes() {
            guard let o = try JSONParser.parse(line).objectValue, let prompt = o["prompt"]?.stringValue,
                  let completion = o["completion"]?.stringValue else { continue }
            corpus += JSONWriter.encode(.object(JSONObject([("text", .string(prompt + completion))]))) + "\n"
        }
        try Data(corpus.utf8).write(to: URL(fileURLWithPath: corpusPath))
        for folder in ["base", "base-checkpoints", "sft", "sft-checkpoints"] {
            try? FileManager.default.removeItem(atPath: dir + "/" + folder)
        }
        try step(["pretrain", "--corpus", corpusPath, "--tokenizer", dir + "/tokenizer", "--config", "tiny",
                  "--max-steps", "100", "--max-length", "64", "--store", storePath, "--out", dir + "/base"], context)
        try step(["sft", "--init", dir + "/base", "--max-steps", "300", "--max-length", "64", "--eval-steps", "100",
                  "--store", storePath, "--out", dir + "/sft"], context)
        try step(["runs", "--store", storePath], context)
        try step(["generate", "--model", dir + "/sft", "--split", "train", "--limit", "200", "--samples", "2",
                  "--temperature", "0.8", "--seed", "0", "--store", storePath], context)
        let store = try Store(path: storePath)
        try store.forEachRow("""
            SELECT p.text, c.text FROM completion_origins o JOIN completions c ON c.id = o.completion_id
            JOIN prompts p ON p.id = c.prompt_id WHERE o.origin = 'generated' ORDER BY c.id LIMIT 4
            """) { context.say("  \($0.text(0))\($0.text(1))") }
        try step(["simulate-labels", "--annotators", "1", "--origin", "generated", "--limit", "200", "--seed", "1",
                  "--store", storePath], context)
        try step(["stats", "--store", storePath], context)
    }

    /// Stage three (issue 11): a reward model from the SFT policy on every current label of the train
    /// split, early-stopped on validation and reported on test beside the length-only rule; then
    /// the test split's completions scored into the store, and one hand-written pair scored both ways.
    func rewardStages(storePath: String, _ context: CommandContext) throws {
        for folder in ["rm", "rm-checkpoints"] { try? FileManager.default.removeItem(atPath: dir + "/" + folder) }
        try step(["train-rm", "--init", dir + "/sft", "--out", dir + "/rm", "--epochs", "2", "--learning-rate", "1e-3",
                  "--max-length", "64", "--normalization-samples", "64", "--store", storePath], context)
        try step(["score", "--rm", dir + "/rm", "--split", "test", "--store", storePath], context, quiet: true)
        let prompt = "Write a short review of the blue kettle:"
        for completion in [" It is great and it works well.", " It is bad and it broke."] {
            try step(["score", "--rm", dir + "/rm", "--prompt", prompt, "--completion", completion], context)
        }
    }
}
