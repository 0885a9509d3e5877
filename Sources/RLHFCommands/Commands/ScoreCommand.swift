import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFStore
import RLHFTokenizer
import RLHFTrain

/// `rlhf score`: a reward model's rewards for given texts, JSON lines, or every completion of a split.
struct ScoreCommand: Command {
    static let name = "score"
    static let abstract = "Rewards from a reward model: for a prompt and completion, JSON lines on stdin, or a split"
    static let usage = """
        rlhf score --rm DIR --prompt TEXT --completion TEXT
               rlhf score --rm DIR --jsonl < pairs.jsonl
               rlhf score --rm DIR --split SPLIT... [--store PATH]
        """
    static let discussion = """
        Every (prompt, completion) goes through the one serialiser (prompt ids, completion ids,
        end-of-text) and the reward is read at the end-of-text token, as in training. A completion that
        does not fit the model's context keeps its last tokens and is marked "truncated": true.
        --jsonl reads {"prompt": ..., "completion": ...} lines from stdin and writes one {"reward": x} line
        for each, in order (blank lines are skipped). --split scores every completion of the store's
        prompts in those splits, one {"completion_id", "prompt_id", "reward"} line each; the rewards are
        saved in the store under the reward model's checkpoint id only when --store is given (it is then
        recorded as a checkpoint if it is not one already). Without --store nothing is recorded.
        """
    static let options: [OptionSpec] = [
        .value("--rm", "DIR", "the reward model folder (rlhf train-rm's --out, or any GPT2ForSequenceClassification folder with one label)"),
        .value("--prompt", "TEXT", "the prompt, as stored (conversations in the HH template)"),
        .value("--completion", "TEXT", "the completion"),
        .flag("--jsonl", "read {\"prompt\", \"completion\"} JSON lines from stdin, write {\"reward\": x} lines"),
        .repeating("--split", "SPLIT", "score every completion of these splits' prompts: train, validation, test"),
        .value("--batch-size", "N", "sequences per forward pass (default 16)"),
        StoreOption.spec,
    ]

    enum Mode { case pair(prompt: String, completion: String), jsonl, splits([Split]) }

    let directory: String
    let mode: Mode
    let batchSize: Int
    let storePath: String
    let record: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let rm = arguments.string("--rm") else { throw UsageError("'rlhf score' needs --rm DIR (a reward model folder)") }
        directory = context.resolve(rm)
        batchSize = try arguments.int("--batch-size", range: 1...4096) ?? 16
        storePath = StoreOption.path(arguments, context)
        record = arguments.string("--store") != nil
        let prompt = arguments.string("--prompt"), completion = arguments.string("--completion")
        let splits = try FilterOptions.splits(arguments)
        let modes = [prompt != nil || completion != nil, arguments.flag("--jsonl"), !splits.isEmpty].filter { $0 }.count
        guard modes == 1 else {
            throw UsageError("give one of --prompt with --completion, --jsonl, or --split (see rlhf score --help)")
        }
        if prompt != nil || completion != nil {
            guard let prompt, let completion else { throw UsageError("--prompt and --completion go together") }
            mode = .pair(prompt: prompt, completion: completion)
        } else if arguments.flag("--jsonl") {
            mode = .jsonl
        } else {
            mode = .splits(splits)
        }
        if record, case .splits = mode {} else if record {
            throw UsageError("--store records rewards of a split's completions; with --prompt or --jsonl there is nothing to record them against")
        }
    }

    /// The model, its tokenizer's serialiser, and the longest sequence.
    struct Scorer {
        let model: GPT2
        let serializer: Serializer
        let manifestSHA256: String?
        let batchSize: Int

        /// Rewards (and whether the serialiser cut the completion) in input order.
        func score(_ pairs: [(prompt: String, completion: String)]) throws -> [(reward: Float, truncated: Bool)] {
            let examples = pairs.map {
                serializer.serialize(prompt: $0.prompt, completion: $0.completion, maxLength: model.config.contextLength, purpose: .scoring)
            }
            let serialized = examples.compactMap { $0 }
            precondition(serialized.count == pairs.count, "scoring never leaves a pair out")
            let rewards = try RewardForward.rewards(model: model, sequences: serialized.map(\.tokens),
                                                    readPositions: serialized.map(\.endIndex), microBatch: batchSize)
            return zip(rewards, serialized).map { ($0, $1.truncated) }
        }
    }

    func run(_ context: CommandContext) throws {
        let checkpoint = try Checkpoint.load(from: directory)
        guard checkpoint.model.hasScalarHead else {
            throw CommandFailure("\(directory) has no score head (score.weight): it is a language model, not a reward model; train one with rlhf train-rm")
        }
        let scorer = Scorer(model: checkpoint.model, serializer: try Serializer(tokenizer: BPETokenizer(directory: directory)),
                            manifestSHA256: checkpoint.manifestHash, batchSize: batchSize)
        switch mode {
        case .pair(let prompt, let completion):
            try context.stdout.write(Self.line(try scorer.score([(prompt, completion)])[0]))
        case .jsonl:
            try scoreLines(scorer, context)
        case .splits(let splits):
            try scoreSplits(splits, scorer, context)
        }
    }

    static func line(_ r: (reward: Float, truncated: Bool), prefix: String = "") -> String {
        "{" + prefix + "\"reward\":" + JSONWriter.format(Double("\(r.reward)") ?? Double(r.reward))
            + (r.truncated ? ",\"truncated\":true" : "") + "}\n"
    }

    /// Batches of lines scored together, written in input order.
    func scoreLines(_ scorer: Scorer, _ context: CommandContext) throws {
        let reader = LineReader(source: context.stdin)
        var pending: [(prompt: String, completion: String)] = []
        func flush() throws {
            for r in try scorer.score(pending) { try context.stdout.write(Self.line(r)) }
            pending.removeAll(keepingCapacity: true)
        }
        while let line = try reader.nextLineBytes() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let place = "stdin:\(reader.lineNumber)"
            let value: JSONValue
            do { value = try JSONParser.parse(line) } catch {
                throw CommandFailure("\(place): invalid JSON (\(error)); expected {\"prompt\": ..., \"completion\": ...}")
            }
            guard let object = value.objectValue else { throw CommandFailure("\(place): expected a JSON object, got \(value.typeName)") }
            guard let prompt = object["prompt"]?.stringValue, let completion = object["completion"]?.stringValue else {
                throw CommandFailure("\(place): expected string fields \"prompt\" and \"completion\"")
            }
            pending.append((prompt, completion))
            if pending.count >= batchSize * 4 { try flush() }
        }
        try flush()
    }

    func scoreSplits(_ splits: [Split], _ scorer: Scorer, _ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        let rows = try store.scoringRows(splits: splits)
        var saved: [(completionID: Int64, reward: Double, truncated: Bool)] = []
        var sum = 0.0, squares = 0.0, truncated = 0
        for start in stride(from: 0, to: rows.count, by: 256) {
            let chunk = Array(rows[start..<min(rows.count, start + 256)])
            for (row, r) in zip(chunk, try scorer.score(chunk.map { ($0.prompt, $0.completion) })) {
                try context.stdout.write(Self.line(r, prefix: "\"completion_id\":\(row.completionID),\"prompt_id\":\(row.promptID),"))
                let reward = Double("\(r.reward)") ?? Double(r.reward)
                saved.append((row.completionID, reward, r.truncated))
                sum += reward; squares += reward * reward
                if r.truncated { truncated += 1 }
            }
        }
        let n = Double(max(1, rows.count))
        let mean = sum / n, sd = max(0, squares / n - mean * mean).squareRoot()
        context.say(String(format: "scored %d completions of %@: mean reward %.4f, std %.4f, %d truncated",
                           rows.count, splits.map(\.rawValue).joined(separator: ", "), mean, sd, truncated))
        guard record else { return }
        guard let hash = scorer.manifestSHA256 else {
            throw CommandFailure("\(directory) has no manifest.json, so the store cannot name it; save it with rlhf train-rm to record its rewards")
        }
        let id = try store.checkpointID(manifestSHA256: hash, path: directory)
        try store.saveRewards(checkpointID: id, saved)
        context.say("saved \(saved.count) rewards in \(store.path) under reward model \(id) (checkpoint with manifest sha256 \(hash.prefix(16)))")
    }
}
