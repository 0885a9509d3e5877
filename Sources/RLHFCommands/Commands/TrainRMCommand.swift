import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFStore
import RLHFTokenizer
import RLHFTrain

/// `rlhf train-rm`: a Bradley-Terry reward model on the store's current labels.
struct TrainRMCommand: Command {
    static let name = "train-rm"
    static let abstract = "Train a Bradley-Terry reward model on the store's labels (train split; early stop on validation)"
    static let usage = """
        rlhf train-rm --init DIR --out DIR [--annotator NAME...] [--source SOURCE...] [--hparams FILE]
                          [--ties davidson] [--margin] [--center-rewards COEF] [--max-length N] [--store PATH]
               rlhf train-rm --resume CHECKPOINT --out DIR [--store PATH]
        """
    static let discussion = """
        The trunk starts from --init (an SFT or pretrained model folder; its tokenizer comes with it) and
        gets a new scalar head, N(0, 1/(C+1)) with bias 0. Labels are read through current_labels
        (rankings as all their pairs; two labels on one pair count once each); every prompt's judgements
        share one batch and each completion runs through the trunk once. The reward is read at the
        end-of-text token the serialiser appends. Ties are left out unless --ties davidson; --margin uses
        the labels' strength (Llama 2's margin loss); --center-rewards COEF adds TRL's centring term.
        The validation split is evaluated after every epoch (eval_steps null) and training stops early
        when its loss stops falling (early_stopping_patience); DIR is the best-on-validation model, rescaled
        so that completions sampled from --init (normalization_samples, default 256) score mean 0 and
        standard deviation 1, with its head bias folded into ln_f so it loads in transformers as
        GPT2ForSequenceClassification. The test split is reported once at the end (stderr, and one JSON
        line on stdout). Hyperparameters: flags, or --hparams FILE with TRL's keys plus ours (see README).
        The reward model's own defaults replace the shared ones listed above: --learning-rate 1e-4,
        --batch-size 8 (prompts, each with all its judgements), --epochs 3, --eval-steps once per epoch,
        weight_decay 0.
        """
    static let tiesSpec = OptionSpec.value("--ties", "MODE", "leave-out (default) or davidson")
    static let marginSpec = OptionSpec.flag("--margin", "Llama 2's margin loss from the labels' strength")
    static let extraFlags: [TrainingOptions.Flag] = [
        TrainingOptions.Flag(name: "--center-rewards", key: "center_rewards_coefficient", kind: .number,
                             help: "TRL's centring coefficient (recommended 0.01; default off)"),
        TrainingOptions.Flag(name: "--max-length", key: "max_length", kind: .int, help: "longest sequence in tokens (default: the model's context)"),
        TrainingOptions.Flag(name: "--normalization-samples", key: "normalization_samples", kind: .int,
                             help: "samples from --init to normalise rewards on (default 256; 0 skips)"),
    ]
    static let options: [OptionSpec] = [
        .value("--init", "DIR", "the SFT (or pretrained) model the trunk starts from"),
        LanguageModelSetup.outSpec,
        .repeating("--annotator", "NAME", "only labels by these annotators (default all)"),
        .repeating("--source", "SOURCE", "only labels from these sources: human, simulated, imported, imported:<file>"),
        tiesSpec, marginSpec, StoreOption.spec,
    ] + TrainingOptions.specs(extra: extraFlags)

    let initDirectory: String?
    let out: String
    let resume: String?
    let storePath: String
    let filter: LabelFilter
    let config: RewardConfig?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        guard let out = arguments.string("--out") else { throw UsageError("'rlhf train-rm' needs --out DIR (where the reward model goes)") }
        self.out = context.resolve(out)
        storePath = StoreOption.path(arguments, context)
        initDirectory = arguments.string("--init").map(context.resolve)
        resume = arguments.string("--resume").map(context.resolve)
        filter = LabelFilter(annotators: arguments.strings("--annotator"), sources: arguments.strings("--source"))
        let ties = try arguments.choice("--ties", RewardObjective.Ties.allCases.map(\.rawValue))
        if resume != nil {
            if initDirectory != nil || ties != nil || arguments.flag("--margin") || !filter.annotators.isEmpty || !filter.sources.isEmpty
                || TrainingOptions.anyGiven(arguments, extra: Self.extraFlags) {
                throw UsageError("--resume continues a run with its own model, labels and hyperparameters; give only --resume, --out and --store")
            }
            config = nil
            return
        }
        guard initDirectory != nil else {
            throw UsageError("'rlhf train-rm' needs --init DIR: the SFT or pretrained model the reward model starts from")
        }
        var config = try TrainingOptions.configuration(RewardConfig.self, keys: RewardConfig.keys, extra: Self.extraFlags, arguments, context)
        if let ties { config.ties = RewardObjective.Ties(rawValue: ties) ?? .leaveOut }
        if arguments.flag("--margin") { config.useMargin = true }
        do { try config.validate() } catch { throw UsageError("\(error)") }
        self.config = config
    }

    func run(_ context: CommandContext) throws {
        try LanguageModelSetup.requireNewOutput(out)
        let store = try StoreOption.open(storePath, context)
        let model: GPT2, tokenizer: BPETokenizer, config: RewardConfig, policyDirectory: String
        var optimizer: AdamW? = nil
        var resumeState: (state: TrainerState, run: RewardRunState)? = nil
        let splits: [(name: String, judgements: [StoredJudgement])]
        var origin: [(String, JSONValue)] = []
        if let resume {
            let point = try ResumePoint.load(resume, trainer: "reward", scalarHead: true)
            config = try point.config(RewardConfig.self, keys: RewardConfig.keys)
            tokenizer = try BPETokenizer(directory: resume)
            model = point.model
            optimizer = point.optimizer
            resumeState = (point.state, try RewardRunState.load(directory: resume))
            policyDirectory = try RewardData.initDirectory(fromRunFile: resume)
            splits = try RewardData.reload(point.examples, store: store, source: resume)
            try point.examples.verify(rebuilt: RewardData.manifest(splits), source: resume)
            origin = [("resumed_from", .string(resume)), ("resumed_run", point.metadata.runID.map { .int(Int($0)) } ?? .null)]
            context.say("resuming \(resume) at step \(point.state.step) on its \(splits[0].judgements.count) saved training judgements")
        } else {
            guard let given = self.config, let initDirectory else { preconditionFailure("validated in init") }
            config = given
            policyDirectory = initDirectory
            tokenizer = try BPETokenizer(directory: initDirectory)
            let language = try Checkpoint.load(from: initDirectory, scalarHead: false).model
            guard language.config.vocabSize >= tokenizer.vocabulary.count else {
                throw CommandFailure("\(initDirectory): the model's vocabulary (\(language.config.vocabSize)) is smaller than its tokenizer's (\(tokenizer.vocabulary.count))")
            }
            // A new head whatever --init holds (OpenAI and OpenRLHF: N(0, 1/(C+1)), bias 0).
            model = try RewardHead.rewardModel(trunk: language, seed: config.training.seed)
            let withTies = config.ties == .davidson
            var trainFilter = filter, validationFilter = filter, testFilter = filter
            trainFilter.splits = [.train]; validationFilter.splits = [.validation]; testFilter.splits = [.test]
            let train = try store.judgements(trainFilter, includeTies: withTies)
            guard !train.isEmpty else {
                let anywhere = try store.judgements(filter, includeTies: true).count
                throw CommandFailure(anywhere > 0
                    ? "the store \(storePath) has \(anywhere) current labels\(filter.annotators.isEmpty && filter.sources.isEmpty ? "" : " passing --annotator/--source") but none in the train split\(withTies ? "" : " with a winner"): run rlhf split"
                    : "the store \(storePath) has no current labels\(filter.annotators.isEmpty && filter.sources.isEmpty ? "" : " passing --annotator/--source"): label pairs (rlhf label, rlhf simulate-labels) or import preferences, then run rlhf split")
            }
            // Held-out splits keep their ties: they are reported apart.
            splits = [("train", train), ("validation", try store.judgements(validationFilter, includeTies: true)),
                      ("test", try store.judgements(testFilter, includeTies: true))]
            origin = [("init", .string(initDirectory)), ("annotators", .array(filter.annotators.map { .string($0) })),
                      ("sources", .array(filter.sources.map { .string($0) }))]
        }
        let examples = RewardData.manifest(splits)
        let serializer = try Serializer(tokenizer: tokenizer)
        let maxLength = try config.sequenceLength(contextLength: model.config.contextLength)
        let datasets = splits.map { split in
            RewardDataset(judgements: split.judgements.map(RewardData.judgement), serializer: serializer, maxLength: maxLength,
                          includeTies: split.name != "train" || config.ties == .davidson)
        }
        let data = RewardTrainer.Datasets(train: datasets[0], validation: datasets[1], test: datasets[2])
        context.say("reward model on \(data.train.comparisonCount) judgements of \(data.train.groups.count) prompts "
            + "(\(data.train.leftOut) left out: a completion longer than \(maxLength) tokens; \(data.train.tiesLeftOut) ties left out), "
            + "validation \(data.validation.comparisonCount), test \(data.test.comparisonCount); "
            + "model \(model.config.layers) layers x \(model.config.channels), objective \(config.ties == .davidson ? "Davidson" : "Bradley-Terry")"
            + (config.useMargin ? " with margins" : "") + (config.centerRewardsCoefficient.map { ", centring \($0)" } ?? ""))
        if data.validation.groups.isEmpty { context.say("note: no validation labels; no early stopping, the last weights are kept") }

        let normalizing: RewardTrainer.Normalizing?
        if config.normalizationSamples > 0 {
            let policy = try Checkpoint.load(from: policyDirectory, scalarHead: false).model
            // The train judgements' prompts (fixed by the run's example list, so a resumed run samples the same).
            var seen = Set<Int64>()
            let prompts = splits[0].judgements.filter { seen.insert($0.pair.promptID).inserted }.map { tokenizer.encodeOrdinary($0.pair.prompt) }
            normalizing = RewardTrainer.Normalizing(policy: policy, prompts: prompts, name: policyDirectory)
        } else {
            normalizing = nil
        }

        var metadata = RunMetadata(trainer: "reward", config: RunMetadata.object(config), examplesSHA256: examples.sha256, runID: nil)
        let session = try TrainingSession(
            kind: "reward", config: LanguageModelSetup.runConfig(metadata, model: model.config, examples: examples,
                                                                extra: origin + [("out", .string(out))]),
            store: store, context: context, loggingSteps: config.training.loggingSteps)
        metadata.runID = session.runID
        var plan = LanguageModelSetup.plan(out: out, tokenizer: tokenizer, contextLength: model.config.contextLength,
                                           examples: examples, metadata: metadata)
        plan.extraFiles["reward_run.json"] = RewardData.runFile(initDirectory: policyDirectory)
        let observer = RewardSessionObserver(session)
        var result: RewardTrainer.Outcome? = nil
        guard let endOfText = tokenizer.vocabulary.endOfTextID else { throw SerializerError.noEndOfText }
        _ = try session.run { shouldStop in
            let outcome = try RewardTrainer(config: config).train(
                model: model, optimizer: optimizer, resume: resumeState, data: data, normalizing: normalizing, endOfText: endOfText,
                checkpoints: plan, out: out, metrics: session.metrics, observer: observer, shouldStop: shouldStop)
            result = outcome
            return outcome.training
        }
        guard let result, result.status == .finished else { return }
        if let test = result.test {
            try context.stdout.write(RewardSessionObserver.json(test, set: "test", step: result.bestStep) + "\n")
        }
        context.say("wrote \(out): the best on validation (step \(result.bestStep) of \(result.step)"
            + (result.earlyStopped ? ", stopped early" : "") + ")" + (result.manifestSHA256.map { ", manifest sha256 \($0)" } ?? ""))
    }
}
