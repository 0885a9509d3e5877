import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFStore
import RLHFTokenizer
import RLHFTrain

/// `rlhf sft`: supervised fine-tuning on the store's prompt / SFT-completion pairs of the train split.
struct SFTCommand: Command {
    static let name = "sft"
    static let abstract = "Supervised fine-tuning on the store's prompt/completion pairs (train split)"
    static let usage = """
        rlhf sft (--init DIR | --config tiny|small|gpt2|FILE --tokenizer DIR) --out DIR [--max-steps N]
                     [--hparams FILE] [--max-length N] [--store PATH]
               rlhf sft --resume CHECKPOINT --out DIR [--store PATH]
        """
    static let discussion = """
        Each pair goes through the one serialiser: the prompt's ids, the completion's ids, end-of-text. The
        loss counts the targets from the first completion token through end-of-text. Over --max-length the
        prompt is cut from the left; a pair whose completion alone does not fit is left out and counted
        (metric examples_left_out). Loss and perplexity on the validation split every eval_steps steps
        and at the end, on the test split once when the run finishes. Checkpoints every save_steps steps
        go to DIR-checkpoints/checkpoint-STEP; DIR is the final one, a Hugging Face folder.
        --resume continues a run from one of its checkpoints bit for bit, on the very examples it started
        with (their ids are saved in the checkpoint), with its own hyperparameters.
        Hyperparameters: flags, or --hparams FILE with TRL's keys, e.g. {"learning_rate": 3e-4,
        "per_device_train_batch_size": 32, "max_length": 64}; a flag beats the file.
        """
    static let options: [OptionSpec] = [
        .value("--init", "DIR", "start from this model folder (its tokenizer comes with it)"),
        LanguageModelSetup.configSpec,
        TokenizerOption.spec,
        LanguageModelSetup.outSpec,
        StoreOption.spec,
    ] + TrainingOptions.specs(extra: [LanguageModelSetup.maxLengthFlag])

    let initDirectory: String?
    let configName: String?
    let tokenizerDirectory: String?
    let out: String
    let resume: String?
    let storePath: String
    let config: SFTConfig?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let out = arguments.string("--out") else { throw UsageError("'rlhf sft' needs --out DIR (where the final model goes)") }
        self.out = context.resolve(out)
        storePath = StoreOption.path(arguments, context)
        initDirectory = arguments.string("--init").map(context.resolve)
        configName = arguments.string("--config")
        tokenizerDirectory = arguments.string("--tokenizer").map(context.resolve)
        resume = arguments.string("--resume").map(context.resolve)
        if resume != nil {
            if initDirectory != nil || configName != nil || tokenizerDirectory != nil
                || TrainingOptions.anyGiven(arguments, extra: [LanguageModelSetup.maxLengthFlag]) {
                throw UsageError("--resume continues a run with its own model, tokenizer and hyperparameters; give only --resume, --out and --store")
            }
            config = nil
        } else {
            if initDirectory != nil && (configName != nil || tokenizerDirectory != nil) {
                throw UsageError("give --init DIR, or --config with --tokenizer, not both")
            }
            if initDirectory == nil && (configName == nil || tokenizerDirectory == nil) {
                throw UsageError("'rlhf sft' needs --init DIR, or --config tiny|small|gpt2|FILE with --tokenizer DIR")
            }
            config = try TrainingOptions.configuration(SFTConfig.self, keys: SFTConfig.keys,
                                                       extra: [LanguageModelSetup.maxLengthFlag], arguments, context)
        }
    }

    func run(_ context: CommandContext) throws {
        try LanguageModelSetup.requireNewOutput(out)
        let store = try StoreOption.open(storePath, context)
        let model: GPT2, tokenizer: BPETokenizer, config: SFTConfig
        let optimizer: AdamW?, state: TrainerState?
        let sets: [(name: String, pairs: [PromptCompletion])]
        var origin: [(String, JSONValue)] = []
        if let resume {
            let point = try ResumePoint.load(resume, trainer: "sft", scalarHead: false)
            config = try point.config(SFTConfig.self, keys: SFTConfig.keys)
            tokenizer = try BPETokenizer(directory: resume)
            model = point.model
            optimizer = point.optimizer
            state = point.state
            sets = try point.examples.sets.map { set in (set.name, try Self.pairs(ids: set.ids, store: store, set: set.name)) }
            try point.examples.verify(rebuilt: ExampleManifest.pairs(sets), source: resume)
            origin = [("resumed_from", .string(resume)), ("resumed_run", point.metadata.runID.map { .int(Int($0)) } ?? .null)]
            context.say("resuming \(resume) at step \(point.state.step) on its \(point.examples.ids("train").count) saved training examples")
        } else {
            guard let given = self.config else { preconditionFailure("parsed without a configuration") }
            config = given
            if let initDirectory {
                tokenizer = try BPETokenizer(directory: initDirectory)
                model = try Checkpoint.load(from: initDirectory, scalarHead: false).model
                guard model.config.vocabSize >= tokenizer.vocabulary.count else {
                    throw CommandFailure("\(initDirectory): the model's vocabulary (\(model.config.vocabSize)) is smaller than its tokenizer's (\(tokenizer.vocabulary.count))")
                }
                origin = [("init", .string(initDirectory))]
            } else {
                guard let configName, let tokenizerDirectory else { preconditionFailure("validated in init") }
                tokenizer = try BPETokenizer(directory: tokenizerDirectory)
                model = try GPT2(config: LanguageModelSetup.config(configName, tokenizer: tokenizer, context: context))
                model.initializeWeights(seed: config.training.seed)
                origin = [("config", .string(configName)), ("tokenizer", .string(tokenizerDirectory))]
            }
            optimizer = nil
            state = nil
            let train = try store.sftPairs(splits: [.train])
            guard !train.isEmpty else {
                throw CommandFailure("the store \(storePath) has no SFT pairs in the train split: import SFT data (rlhf import sft FILE --split train) or assign splits with rlhf split")
            }
            sets = [("train", train.map(Self.plain)), ("validation", try store.sftPairs(splits: [.validation]).map(Self.plain)),
                    ("test", try store.sftPairs(splits: [.test]).map(Self.plain))]
        }
        let examples = ExampleManifest.pairs(sets)
        let serializer = try Serializer(tokenizer: tokenizer)
        let maxLength = try config.sequenceLength(contextLength: model.config.contextLength)
        let serialized = sets.map { SerializedSet($0.pairs, serializer: serializer, maxLength: maxLength) }
        let (train, validation, test) = (serialized[0], serialized.count > 1 ? serialized[1] : SerializedSet(examples: []),
                                         serialized.count > 2 ? serialized[2] : SerializedSet(examples: []))
        context.say("SFT on \(train.examples.count) pairs (\(train.leftOut) left out: completion longer than \(maxLength) tokens; "
            + "\(train.promptsCut) prompts cut), validation \(validation.examples.count), test \(test.examples.count); "
            + "model \(model.config.layers) layers x \(model.config.channels), vocabulary \(model.config.vocabSize)")
        if validation.examples.isEmpty { context.say("note: no validation pairs in the store; no validation loss during the run") }

        var metadata = RunMetadata(trainer: "sft", config: RunMetadata.object(config), examplesSHA256: examples.sha256, runID: nil)
        let session = try TrainingSession(
            kind: "sft", config: LanguageModelSetup.runConfig(metadata, model: model.config, examples: examples,
                                                             extra: origin + [("out", .string(out))]),
            store: store, context: context, loggingSteps: config.training.loggingSteps)
        metadata.runID = session.runID
        let plan = LanguageModelSetup.plan(out: out, tokenizer: tokenizer, contextLength: model.config.contextLength,
                                           examples: examples, metadata: metadata)
        let outcome = try session.run { shouldStop in
            try LanguageModelTrainer(config: config).train(
                model: model, optimizer: optimizer, resume: state, train: train, validation: validation.examples,
                test: test.examples, checkpoints: plan, metrics: session.metrics, observer: session, shouldStop: shouldStop)
        }
        context.say(LanguageModelSetup.describe(outcome, out: out))
    }

    static func plain(_ pair: SFTPair) -> PromptCompletion {
        PromptCompletion(id: pair.completionID, prompt: pair.prompt, completion: pair.completion)
    }

    /// A saved set's pairs, read back by id; names the ids that are gone.
    static func pairs(ids: [Int64], store: Store, set: String) throws -> [PromptCompletion] {
        let found = try store.sftPairs(completionIDs: ids)
        guard found.count == ids.count else {
            let present = Set(found.map(\.completionID))
            let missing = ids.filter { !present.contains($0) }
            throw TrainingError.resumeMismatch("\(missing.count) of the run's \(set) completions are no longer in the store (first: id \(missing[0]))")
        }
        return found.map(plain)
    }
}
