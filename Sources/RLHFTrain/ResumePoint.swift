import Foundation
import RLHFCore
import RLHFModel

/// What every checkpoint's trainer state carries besides the step and the data position, so that
/// `--resume DIR` rebuilds the run from the folder alone: the trainer that wrote it, its configuration
/// exactly as it ran, the hash of its example list, and its run id in the store.
public struct RunMetadata: Equatable, Sendable {
    /// "sft", "pretrain", "reward": a run resumes only under the trainer that started it.
    public var trainer: String
    /// The trainer's configuration (its Codable form, TRL's keys).
    public var config: JSONObject
    public var examplesSHA256: String
    public var runID: Int64?

    public init(trainer: String, config: JSONObject, examplesSHA256: String, runID: Int64?) {
        self.trainer = trainer
        self.config = config
        self.examplesSHA256 = examplesSHA256
        self.runID = runID
    }

    /// The configuration as a JSON object (to save it here and in the store's run record).
    public static func object<Config: Encodable>(_ config: Config) -> JSONObject {
        (try? JSONParser.parse(Array(HyperparameterFile.encode(config).utf8)))?.objectValue ?? JSONObject()
    }

    public var json: JSONObject {
        JSONObject([("trainer", .string(trainer)), ("config", .object(config)),
                    ("examples_sha256", .string(examplesSHA256)), ("run_id", runID.map { .int(Int($0)) } ?? .null)])
    }

    public static func parse(_ object: JSONObject, source: String) throws(TrainingError) -> RunMetadata {
        guard let trainer = object["trainer"]?.stringValue, let config = object["config"]?.objectValue,
              let sha = object["examples_sha256"]?.stringValue else {
            throw .resumeMismatch("\(source): the trainer state has no run metadata (trainer, config, examples_sha256); it was not written by an rlhf trainer")
        }
        return RunMetadata(trainer: trainer, config: config, examplesSHA256: sha, runID: object["run_id"]?.intValue.map(Int64.init))
    }
}

/// A checkpoint read back to continue its run: weights, AdamW moments, step, data position, random
/// state, the run's metadata and its saved example list (`training_examples.json`).
public struct ResumePoint {
    public let directory: String
    public let model: GPT2
    public let optimizer: AdamW
    public let state: TrainerState
    public let metadata: RunMetadata
    public let examples: ExampleManifest

    /// `trainer` must match the one that wrote the folder.
    public static func load(_ directory: String, trainer: String, scalarHead: Bool? = nil) throws -> ResumePoint {
        let checkpoint = try Checkpoint.load(from: directory, scalarHead: scalarHead)
        guard let state = checkpoint.trainerState, let optimizer = checkpoint.optimizer else {
            throw TrainingError.resumeMismatch("\(directory) has no trainer state (a plain model folder); start a new run from it with --init instead")
        }
        let metadata = try RunMetadata.parse(state.metadata, source: directory)
        guard metadata.trainer == trainer else {
            throw TrainingError.resumeMismatch("\(directory) is a \(metadata.trainer) run's checkpoint, not \(trainer)'s")
        }
        let manifestPath = directory + "/" + ExampleManifest.fileName
        guard let bytes = FileManager.default.contents(atPath: manifestPath) else {
            throw TrainingError.resumeMismatch("\(manifestPath) is missing: the run's example list is needed to continue it exactly")
        }
        let examples = try ExampleManifest.parse([UInt8](bytes), path: manifestPath)
        guard examples.sha256 == metadata.examplesSHA256 else {
            throw TrainingError.resumeMismatch("\(manifestPath) does not match the hash in the trainer state")
        }
        return ResumePoint(directory: directory, model: checkpoint.model, optimizer: optimizer, state: state,
                           metadata: metadata, examples: examples)
    }

    /// The run's configuration, decoded as it was saved.
    public func config<Config: Decodable>(_ type: Config.Type, keys: [String]) throws(TrainingError) -> Config {
        try HyperparameterFile.decode(type, bytes: Array(JSONWriter.encode(.object(metadata.config)).utf8), keys: keys,
                                      source: directory + "/trainer_state.json (metadata.config)")
    }
}
