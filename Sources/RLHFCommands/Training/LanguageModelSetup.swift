import Foundation
import RLHFCore
import RLHFModel
import RLHFTokenizer
import RLHFTrain

/// What `rlhf pretrain` and `rlhf sft` share: the model's shape from `--config`, a fresh or `--init`
/// model, the checkpoint plan (tokenizer files and example list in every checkpoint, run metadata in
/// every trainer state), and the line that says where the model went.
enum LanguageModelSetup {
    static let configSpec = OptionSpec.value("--config", "NAME|FILE", "model shape: tiny, small, gpt2, or a config.json")
    static let outSpec = OptionSpec.value("--out", "DIR", "the final model: a complete Hugging Face folder (must not exist)")
    static let maxLengthFlag = TrainingOptions.Flag(name: "--max-length", key: "max_length", kind: .int,
                                                    help: "longest sequence in tokens (default: the model's context length)")

    /// `--config` as a shape whose vocabulary is the tokenizer's (the issue: the model's vocabulary
    /// size is the tokenizer's) and whose end-of-text is the tokenizer's, recorded for Hugging Face.
    static func config(_ given: String, tokenizer: BPETokenizer, context: CommandContext) throws -> GPT2Config {
        var config: GPT2Config
        if let named = GPT2Config.named(given) {
            config = named
        } else {
            let path = context.resolve(given)
            guard FileManager.default.fileExists(atPath: path) else {
                throw UsageError("--config must be tiny, small, gpt2 or a config.json file; '\(given)' is none of these")
            }
            config = try ConfigFile.read(path: path)
        }
        config.vocabSize = tokenizer.vocabulary.count
        let eos = tokenizer.vocabulary.endOfTextID
        config.eosTokenId = eos
        config.bosTokenId = eos
        try config.validate()
        return config
    }

    static func requireNewOutput(_ out: String) throws {
        if FileManager.default.fileExists(atPath: out) {
            throw CommandFailure("--out \(out) already exists; give a new folder (the final model is written there whole)")
        }
    }

    /// Tokenizer files and the example list go into every checkpoint; the metadata into every trainer
    /// state. Intermediate checkpoints go beside `out`, in `out-checkpoints/checkpoint-STEP`.
    static func plan(out: String, tokenizer: BPETokenizer, contextLength: Int, examples: ExampleManifest,
                     metadata: RunMetadata) -> CheckpointPlan {
        var files = TokenizerFiles.files(tokenizer.vocabulary, modelMaxLength: contextLength)
        files[ExampleManifest.fileName] = examples.json()
        return CheckpointPlan(finalDirectory: out, extraFiles: files, metadata: metadata.json)
    }

    /// The run's record in the store: what it trains, from what, with what.
    static func runConfig(_ metadata: RunMetadata, model: GPT2Config, examples: ExampleManifest, extra: [(String, JSONValue)]) -> JSONObject {
        var object = JSONObject([
            ("trainer", .string(metadata.trainer)), ("hyperparameters", .object(metadata.config)),
            ("model", .object(JSONObject([
                ("n_layer", .int(model.layers)), ("n_head", .int(model.heads)), ("n_embd", .int(model.channels)),
                ("n_positions", .int(model.contextLength)), ("vocab_size", .int(model.vocabSize)),
            ]))),
            ("examples_sha256", .string(examples.sha256)),
        ])
        for (key, value) in extra { object[key] = value }
        return object
    }

    static func describe(_ outcome: TrainingOutcome, out: String) -> String {
        switch outcome.status {
        case .finished:
            return "wrote \(out) after step \(outcome.step)"
                + (outcome.lastLoss.map { String(format: " (last loss %.4f)", $0) } ?? "")
                + (outcome.manifestSHA256.map { ", manifest sha256 \($0)" } ?? "")
        case .stopped:
            return "stopped at step \(outcome.step)"
        }
    }
}
