import Foundation
import RLHFCore
import RLHFData
import RLHFModel
import RLHFStore
import RLHFTokenizer
import RLHFTrain

/// `rlhf pretrain`: next-token training on raw text, the first stage of the pipeline.
struct PretrainCommand: Command {
    static let name = "pretrain"
    static let abstract = "Next-token training of a GPT-2 on raw text files"
    static let usage = """
        rlhf pretrain --corpus FILE... [--tokenizer DIR | --vocab-size N] --config tiny|small|gpt2|FILE
                          [--max-steps N] [--hparams FILE] [--store PATH] --out DIR
               rlhf pretrain --resume CHECKPOINT --out DIR [--store PATH]
        """
    static let discussion = """
        Each corpus FILE is one document of UTF-8 text, except a .jsonl file, which holds one document per
        line in its "text" field. Documents are joined with end-of-text after each (GPT-2's convention)
        and the stream is cut into pieces of max_length tokens (TRL's packing); every next token counts.
        Without --tokenizer, a byte-level BPE tokenizer of --vocab-size tokens is trained on the corpus
        first. The model's vocabulary is the tokenizer's. DIR is a Hugging Face folder (config.json,
        model.safetensors, tokenizer.json, tokenizer_config.json); checkpoints every save_steps steps go
        to DIR-checkpoints/checkpoint-STEP. The run is recorded in the store when there is one (--store,
        $RLHF_STORE, or ./rlhf.sqlite if it exists). --resume checks the corpus files are unchanged.
        """
    static let options: [OptionSpec] = [
        .repeating("--corpus", "FILE", "text files to train on (.jsonl: one \"text\" per line)"),
        TokenizerOption.spec,
        .value("--vocab-size", "N", "train a tokenizer of N tokens on the corpus first"),
        LanguageModelSetup.configSpec,
        LanguageModelSetup.outSpec,
        StoreOption.spec,
    ] + TrainingOptions.specs(extra: [LanguageModelSetup.maxLengthFlag])

    let corpus: [String]
    let tokenizerDirectory: String?
    let vocabSize: Int?
    let configName: String?
    let out: String
    let resume: String?
    let config: SFTConfig?
    let arguments: ParsedArguments

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        self.arguments = arguments
        guard let out = arguments.string("--out") else { throw UsageError("'rlhf pretrain' needs --out DIR (where the final model goes)") }
        self.out = context.resolve(out)
        corpus = arguments.strings("--corpus").map(context.resolve)
        tokenizerDirectory = arguments.string("--tokenizer").map(context.resolve)
        vocabSize = try arguments.int("--vocab-size", range: 257...10_000_000)
        configName = arguments.string("--config")
        resume = arguments.string("--resume").map(context.resolve)
        if resume != nil {
            if !corpus.isEmpty || tokenizerDirectory != nil || vocabSize != nil || configName != nil
                || TrainingOptions.anyGiven(arguments, extra: [LanguageModelSetup.maxLengthFlag]) {
                throw UsageError("--resume continues a run with its own corpus, model, tokenizer and hyperparameters; give only --resume, --out and --store")
            }
            config = nil
        } else {
            if corpus.isEmpty { throw UsageError("'rlhf pretrain' needs --corpus FILE... (the text to train on)") }
            if (tokenizerDirectory == nil) == (vocabSize == nil) {
                throw UsageError("give --tokenizer DIR, or --vocab-size N to train a tokenizer on the corpus first (one of them)")
            }
            if configName == nil { throw UsageError("'rlhf pretrain' needs --config tiny|small|gpt2|FILE (the model's shape)") }
            config = try TrainingOptions.configuration(SFTConfig.self, keys: SFTConfig.keys,
                                                       extra: [LanguageModelSetup.maxLengthFlag], arguments, context)
        }
    }

    func run(_ context: CommandContext) throws {
        try LanguageModelSetup.requireNewOutput(out)
        let store = try StoreOption.openIfPresent(arguments, context)
        let model: GPT2, tokenizer: BPETokenizer, config: SFTConfig
        let optimizer: AdamW?, state: TrainerState?
        let documents: [String], files: [ExampleManifest.CorpusFile]
        var origin: [(String, JSONValue)] = []
        if let resume {
            let point = try ResumePoint.load(resume, trainer: "pretrain", scalarHead: false)
            config = try point.config(SFTConfig.self, keys: SFTConfig.keys)
            tokenizer = try BPETokenizer(directory: resume)
            (documents, files) = try Self.read(point.examples.files.map(\.path))
            try point.examples.verify(rebuilt: ExampleManifest.corpus(files), source: resume)
            model = point.model
            optimizer = point.optimizer
            state = point.state
            origin = [("resumed_from", .string(resume)), ("resumed_run", point.metadata.runID.map { .int(Int($0)) } ?? .null)]
            context.say("resuming \(resume) at step \(point.state.step)")
        } else {
            guard let given = self.config, let configName else { preconditionFailure("validated in init") }
            config = given
            (documents, files) = try Self.read(corpus)
            if let tokenizerDirectory {
                tokenizer = try BPETokenizer(directory: tokenizerDirectory)
                origin.append(("tokenizer", .string(tokenizerDirectory)))
            } else {
                guard let vocabSize else { preconditionFailure("validated in init") }
                let start = DispatchTime.now().uptimeNanoseconds
                tokenizer = BPETokenizer(vocabulary: try BPETrainer.train(texts: documents, vocabSize: vocabSize))
                context.say("trained a tokenizer of \(tokenizer.vocabulary.count) tokens on the corpus in "
                    + String(format: "%.2f s", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                origin.append(("vocab_size", .int(vocabSize)))
            }
            model = try GPT2(config: LanguageModelSetup.config(configName, tokenizer: tokenizer, context: context))
            model.initializeWeights(seed: config.training.seed)
            optimizer = nil
            state = nil
            origin.append(("config", .string(configName)))
        }
        guard let endOfText = tokenizer.vocabulary.endOfTextID else { throw SerializerError.noEndOfText }
        let examples = ExampleManifest.corpus(files)
        let maxLength = try config.sequenceLength(contextLength: model.config.contextLength)
        let encoded = documents.map { tokenizer.encodeOrdinary($0) }
        let pieces = TextPacking.pieces(documents: encoded, endOfText: endOfText, length: maxLength)
        let train = SerializedSet(examples: pieces.enumerated().map { LanguageModelExample(id: Int64($0.offset), piece: $0.element) })
        let tokens = encoded.reduce(0) { $0 + $1.count + 1 }
        context.say("pretraining on \(documents.count) documents from \(files.count) files: \(tokens) tokens in \(pieces.count) pieces of "
            + "up to \(maxLength); model \(model.config.layers) layers x \(model.config.channels), vocabulary \(model.config.vocabSize)")

        var metadata = RunMetadata(trainer: "pretrain", config: RunMetadata.object(config), examplesSHA256: examples.sha256, runID: nil)
        let session = try TrainingSession(
            kind: "pretrain", config: LanguageModelSetup.runConfig(metadata, model: model.config, examples: examples,
                                                                  extra: origin + [("corpus", .array(files.map { .string($0.path) })), ("out", .string(out))]),
            store: store, context: context, loggingSteps: config.training.loggingSteps)
        metadata.runID = session.runID
        let plan = LanguageModelSetup.plan(out: out, tokenizer: tokenizer, contextLength: model.config.contextLength,
                                           examples: examples, metadata: metadata)
        let outcome = try session.run { shouldStop in
            try LanguageModelTrainer(config: config).train(
                model: model, optimizer: optimizer, resume: state, train: train, checkpoints: plan,
                metrics: session.metrics, observer: session, shouldStop: shouldStop)
        }
        context.say(LanguageModelSetup.describe(outcome, out: out))
    }

    /// The documents of the corpus files, and each file's size and hash for the example list.
    static func read(_ paths: [String]) throws -> ([String], [ExampleManifest.CorpusFile]) {
        var documents: [String] = []
        var files: [ExampleManifest.CorpusFile] = []
        for path in paths {
            let bytes: [UInt8]
            do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw CommandFailure("cannot read corpus file \(path): \(error.localizedDescription)")
            }
            if let bad = bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
                throw TokenizerError.invalidUTF8(source: path, offset: bad)
            }
            files.append(ExampleManifest.CorpusFile(path: path, contents: bytes))
            if path.hasSuffix(".jsonl") {
                var lineNumber = 0
                for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                    lineNumber += 1
                    if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                    guard let object = (try? JSONParser.parse(Array(line)))?.objectValue, let text = object["text"]?.stringValue else {
                        throw CommandFailure("\(path) line \(lineNumber): expected a JSON object with a \"text\" string")
                    }
                    documents.append(text)
                }
            } else {
                documents.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        guard documents.contains(where: { !$0.isEmpty }) else { throw CommandFailure("the corpus holds no text") }
        return (documents, files)
    }
}
