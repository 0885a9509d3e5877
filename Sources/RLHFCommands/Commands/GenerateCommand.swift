import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFStore
import RLHFTokenizer
import RLHFTrain

/// `rlhf generate`: the policy's own samples into the store, for the next round of labeling.
struct GenerateCommand: Command {
    static let name = "generate"
    static let abstract = "Sample K completions per prompt from a model into the store, with provenance"
    static let usage = """
        rlhf generate --model DIR [--split SPLIT... | --prompts FILE] --samples K [--temperature T] [--top-p P]
                          [--top-k K] [--max-tokens N] [--seed S] [--weights f32|bf16] [--limit N] [--store PATH]
        """
    static let discussion = """
        Prompts: those of the given splits (default all), or the "prompt" of each line of a JSONL FILE (added
        to the store without a split when new). Each prompt is encoded on its own, as SFT and the reward
        model see it, and sampled until end-of-text or N new tokens (default 64; a sample cut there is kept
        and counted as not ended). Every sample is stored as a completion of its prompt (origin generated)
        with its provenance: the checkpoint (DIR's manifest hash; recorded in the store if it is not yet),
        the settings, the seed and the sample index. Identical texts of one prompt share one completion row
        and keep every provenance. Sample k of prompt p draws from its own stream of the seed, so the same
        seed gives the same texts whatever else is sampled. Prints how many distinct completions it added.
        """
    static let options: [OptionSpec] = [
        .value("--model", "DIR", "the policy: a checkpoint folder with its tokenizer (required)"),
        .repeating("--split", "SPLIT", "prompts of these splits: train, validation, test (default all)"),
        .value("--prompts", "FILE", "prompts from a JSONL file ({\"prompt\": ...} per line) instead of the store's"),
        .value("--samples", "K", "completions per prompt (required)"),
    ] + SamplingOptions.specs(temperature: 1, topK: 0) + [
        .value("--limit", "N", "only the first N prompts (by id, or by line of FILE)"),
        StoreOption.spec,
    ]

    let modelDirectory: String
    let splits: [Split]
    let promptsFile: String?
    let samples: Int
    let sampling: SamplingOptions
    let limit: Int?
    let storePath: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let model = arguments.string("--model") else { throw UsageError("'rlhf generate' needs --model DIR") }
        modelDirectory = context.resolve(model)
        guard let samples = try arguments.int("--samples", range: 1...65_536) else {
            throw UsageError("'rlhf generate' needs --samples K (completions per prompt)")
        }
        self.samples = samples
        splits = try FilterOptions.splits(arguments)
        promptsFile = arguments.string("--prompts").map(context.resolve)
        if promptsFile != nil && !splits.isEmpty { throw UsageError("give --split or --prompts FILE, not both") }
        sampling = try SamplingOptions(arguments, temperature: 1, topK: 0)
        limit = try arguments.int("--limit", range: 1...Int.max)
        storePath = StoreOption.path(arguments, context)
    }

    /// The arrival's settings: everything besides the checkpoint and the seed that decides the texts.
    /// "weights" appears only for bf16, so float32 provenance reads as it always has.
    var settingsJSON: String {
        var fields: [(String, JSONValue)] = [
            ("max_new_tokens", .int(sampling.maxTokens)), ("samples", .int(samples)), ("temperature", .double(sampling.temperature)),
            ("top_k", .int(sampling.topK)), ("top_p", .double(sampling.topP)),
        ]
        if sampling.weights != .float32 { fields.append(("weights", .string(sampling.weights.flag))) }
        return JSONWriter.encode(.object(JSONObject(fields)))
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        let policy = try PolicyModel.load(modelDirectory, store: store)
        let now = Timestamp.now()
        var prompts: [(id: Int64, text: String)]
        if let promptsFile {
            let source = "generate:" + (promptsFile as NSString).lastPathComponent
            prompts = try Self.readPrompts(promptsFile, limit: limit).map { (try store.promptID(text: $0, source: source, now: now), $0) }
        } else {
            prompts = try store.prompts(splits: splits)
            if let limit { prompts = Array(prompts.prefix(limit)) }
        }
        guard !prompts.isEmpty else {
            throw CommandFailure("no prompts to sample for" + (splits.isEmpty ? " in \(storePath)" : " in split \(splits.map(\.rawValue).joined(separator: ", "))"))
        }
        let settings = sampling.settings(maxNewTokens: min(sampling.maxTokens, policy.model.config.contextLength - 1))
        if settings.maxNewTokens < sampling.maxTokens {
            context.say("note: --max-tokens \(sampling.maxTokens) is more than the context allows; sampling at most \(settings.maxNewTokens)")
        }
        guard let checkpointID = policy.checkpointID else { preconditionFailure("a store gives a checkpoint id") }
        let arrival = try store.db.write {
            try store.arrivalID(origin: .generated, checkpointID: checkpointID, settings: settingsJSON,
                                seed: Int64(bitPattern: sampling.seed), now: now)
        }
        let sampler = try PolicySampler(model: policy.model, tokenizer: policy.tokenizer, weights: sampling.weights)
        var added = 0, total = 0, notEnded = 0
        let start = DispatchTime.now().uptimeNanoseconds
        try sampler.sample(prompts: prompts, samples: samples, settings: settings, seed: sampling.seed) { batch in
            try store.db.write {
                for sample in batch {
                    if try store.addGenerated(promptID: sample.promptID, text: sample.text, arrivalID: arrival,
                                              sampleIndex: sample.sampleIndex, now: now) { added += 1 }
                    if !sample.stopped { notEnded += 1 }
                }
            }
            total += batch.count
            if context.stderrIsTerminal {
                try? context.stderr.write("\r\u{1B}[2Ksampled \(total)/\(prompts.count * samples)")
                try? context.stderr.flush()
            }
        }
        if context.stderrIsTerminal { try? context.stderr.write("\n") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        context.say("sampled \(total) completions for \(prompts.count) prompts in \(String(format: "%.1f", seconds)) s from checkpoint "
            + "\(checkpointID) (arrival \(arrival)); \(notEnded) reached \(settings.maxNewTokens) tokens without end-of-text")
        try context.stdout.write("added \(added) distinct completions (\(total - added) samples repeated a text already stored)\n")
    }

    /// The "prompt" of each JSONL line.
    static func readPrompts(_ path: String, limit: Int?) throws -> [String] {
        let reader = try DataFile.lineReader(path: path)
        var prompts: [String] = []
        var number = 0
        while prompts.count < (limit ?? .max), let line = try reader.nextLineBytes() {
            number += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let object = (try? JSONParser.parse(line))?.objectValue, let prompt = object["prompt"]?.stringValue else {
                throw CommandFailure("\(path) line \(number): expected a JSON object with a \"prompt\" string")
            }
            prompts.append(prompt)
        }
        return prompts
    }
}

/// A model folder to sample from: its weights, its tokenizer, and (with a store) its checkpoint row.
struct PolicyModel {
    let model: GPT2
    let tokenizer: BPETokenizer
    let checkpointID: Int64?

    /// With a store, the folder's checkpoint row, recorded when it is not there yet (a model trained
    /// elsewhere). A folder without a manifest (a plain Hugging Face one) is identified by the hashes of
    /// its config.json and model.safetensors, in the manifest's form.
    static func load(_ directory: String, store: Store?) throws -> PolicyModel {
        let checkpoint = try Checkpoint.load(from: directory, scalarHead: false)
        let tokenizer = try BPETokenizer(directory: directory)
        guard let store else { return PolicyModel(model: checkpoint.model, tokenizer: tokenizer, checkpointID: nil) }
        let hash = try checkpoint.manifestHash ?? identity(of: directory)
        let id = try store.checkpointID(manifestSHA256: hash)
            ?? store.recordCheckpoint(runID: nil, step: nil, path: directory, manifestSHA256: hash)
        return PolicyModel(model: checkpoint.model, tokenizer: tokenizer, checkpointID: id)
    }

    static func identity(of directory: String) throws -> String {
        var hasher = SHA256()
        for name in [Checkpoint.configFileName, Checkpoint.modelFileName] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw CommandFailure("cannot read \(directory)/\(name)")
            }
            hasher.update("\(name) \(SHA256.hex(bytes: [UInt8](data)))\n")
        }
        return Hex.encode(hasher.finalize())
    }
}
