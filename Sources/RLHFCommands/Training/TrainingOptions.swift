import Foundation
import RLHFCore
import RLHFTrain

/// The hyperparameter flags every trainer shares. A `--hparams FILE` (JSON, TRL's keys) is read first;
/// each flag then sets its key over it, so `--learning-rate 3e-4` beats the file's `learning_rate`.
/// Both go through the trainer's one strict decoder (`HyperparameterFile`), so a flag and a file key
/// are checked alike. A trainer with its own keys passes them in `extra` (SFT: `--max-length`).
enum TrainingOptions {
    /// A flag and the hyperparameter key it sets.
    struct Flag {
        enum Kind { case int, number }
        let name: String
        let key: String
        let kind: Kind
        let help: String
    }

    static let shared: [Flag] = [
        Flag(name: "--max-steps", key: "max_steps", kind: .int, help: "optimizer steps (default: num_train_epochs passes)"),
        Flag(name: "--epochs", key: "num_train_epochs", kind: .number, help: "passes over the training examples when --max-steps is not given (default 1)"),
        Flag(name: "--learning-rate", key: "learning_rate", kind: .number, help: "peak learning rate (default 1e-3)"),
        Flag(name: "--batch-size", key: "per_device_train_batch_size", kind: .int, help: "sequences per micro-batch (default 16)"),
        Flag(name: "--gradient-accumulation-steps", key: "gradient_accumulation_steps", kind: .int, help: "micro-batches per step (default 1)"),
        Flag(name: "--save-steps", key: "save_steps", kind: .int, help: "steps between checkpoints (default 500)"),
        Flag(name: "--eval-steps", key: "eval_steps", kind: .int, help: "steps between validation evaluations (default 100; 0 never)"),
        Flag(name: "--seed", key: "seed", kind: .int, help: "seeds the initial weights and the example order (default 42)"),
    ]

    static let hparamsSpec = OptionSpec.value("--hparams", "FILE", "hyperparameters as one JSON object with TRL's keys (see README)")
    static let resumeSpec = OptionSpec.value("--resume", "DIR", "continue a run from one of its checkpoints, bit for bit")

    static func specs(extra: [Flag] = []) -> [OptionSpec] {
        [hparamsSpec] + (shared + extra).map { .value($0.name, $0.kind == .int ? "N" : "X", $0.help) } + [resumeSpec]
    }

    /// True when any hyperparameter was given (a resumed run refuses them: it continues as it began).
    static func anyGiven(_ arguments: ParsedArguments, extra: [Flag] = []) -> Bool {
        arguments.string("--hparams") != nil || (shared + extra).contains { arguments.string($0.name) != nil }
    }

    /// The configuration: defaults, then the file, then the flags.
    static func configuration<Config: Decodable>(_ type: Config.Type, keys: [String], extra: [Flag] = [],
                                                 _ arguments: ParsedArguments, _ context: CommandContext) throws -> Config {
        var object = JSONObject()
        var source = "hyperparameters"
        if let file = arguments.string("--hparams") {
            let path = context.resolve(file)
            source = path
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw CommandFailure("cannot read --hparams \(path): \(error.localizedDescription)")
            }
            // Validate the file alone first, so its errors name the file and not the merged object.
            _ = try HyperparameterFile.decode(type, bytes: bytes, keys: keys, source: path)
            guard let parsed = try? JSONParser.parse(bytes).objectValue else { throw CommandFailure("\(path): expected a JSON object") }
            object = parsed
        }
        for flag in shared + extra {
            switch flag.kind {
            case .int:
                if let value = try arguments.int(flag.name) { object[flag.key] = .int(value) }
            case .number:
                if let value = try arguments.double(flag.name) { object[flag.key] = .double(value) }
            }
        }
        let merged = Array(JSONWriter.encode(.object(object)).utf8)
        return try HyperparameterFile.decode(type, bytes: merged, keys: keys,
                                             source: source == "hyperparameters" ? "the flags" : "\(source) with the flags")
    }
}
