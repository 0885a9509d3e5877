import Foundation
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTokenizer

struct TokenizerTrainCommand: Command {
    static let name = "tokenizer train"
    static let abstract = "Learn a byte-level BPE tokenizer from the store or text files"
    static let usage = "rlhf tokenizer train --vocab-size N (--from-store | FILE...) --out DIR [--special TOKEN]... [--min-frequency N]"
    static let discussion = """
        Learns merges with GPT-2's pre-tokenization and byte alphabet. N counts every token: the 256 byte
        tokens, the learned merges and the special tokens (<|endoftext|>, then any --special), as Hugging
        Face counts it. Each FILE is one UTF-8 text. Writes DIR/tokenizer.json and
        DIR/tokenizer_config.json, which Hugging Face tokenizers and transformers.AutoTokenizer load.
        """
    static let options: [OptionSpec] = [
        .value("--vocab-size", "N", "total tokens, bytes and special tokens included"),
        .flag("--from-store", "train on the store's prompts and completions (each text once)"),
        .repeating("--split", "SPLIT", "with --from-store: only prompts (and their completions) of these splits"),
        .value("--out", "DIR", "folder to write the tokenizer to"),
        .repeating("--special", "TOKEN", "another special token after <|endoftext|>"),
        .value("--min-frequency", "N", "stop when no pair occurs this often (default 2)"),
        StoreOption.spec,
    ]
    static let positionals: ClosedRange<Int> = 0...Int.max

    let vocabSize: Int
    let fromStore: Bool
    let storePath: String
    let files: [String]
    let out: String
    let specialTokens: [String]
    let minFrequency: Int
    let splits: [Split]

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        specialTokens = [TokenizerFiles.endOfText] + arguments.strings("--special").filter { $0 != TokenizerFiles.endOfText }
        guard let size = try arguments.int("--vocab-size", range: (256 + specialTokens.count)...10_000_000) else {
            throw UsageError("'rlhf tokenizer train' needs --vocab-size N (at least \(256 + specialTokens.count))")
        }
        vocabSize = size
        guard let out = arguments.string("--out") else { throw UsageError("'rlhf tokenizer train' needs --out DIR") }
        self.out = context.resolve(out)
        minFrequency = try arguments.int("--min-frequency", range: 1...Int.max) ?? 2
        fromStore = arguments.flag("--from-store")
        storePath = StoreOption.path(arguments, context)
        splits = try FilterOptions.splits(arguments)
        files = arguments.positionals.map(context.resolve)
        if fromStore && !files.isEmpty { throw UsageError("give --from-store or FILEs, not both") }
        if !fromStore && files.isEmpty { throw UsageError("give --from-store or the text FILEs to train on") }
    }

    func run(_ context: CommandContext) throws {
        var texts: [String] = []
        var bytes = 0
        if fromStore {
            texts = try StoreOption.open(storePath, context).promptAndCompletionTexts(splits: splits)
            bytes = texts.reduce(0) { $0 + $1.utf8.count }
            guard !texts.isEmpty else { throw CommandFailure("the store \(storePath) has no prompts\(splits.isEmpty ? "" : " in those splits") to train on") }
        }
        for file in files {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
            }
            let offset = data.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) }
            if let offset { throw TokenizerError.invalidUTF8(source: file, offset: offset) }
            texts.append(String(decoding: data, as: UTF8.self))
            bytes += data.count
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let vocabulary = try BPETrainer.train(texts: texts, vocabSize: vocabSize, specialTokens: specialTokens,
                                              minFrequency: minFrequency)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try TokenizerFiles.save(vocabulary, directory: out)
        let source = fromStore ? "\(texts.count) store texts" : "\(files.count) file\(files.count == 1 ? "" : "s")"
        var message = "trained \(vocabulary.count) tokens (\(vocabulary.mergeCount) merges) on \(source) "
            + "(\(bytes) bytes) in \(String(format: "%.2f", seconds)) s; wrote \(out)"
        if vocabulary.count < vocabSize {
            message += " (fewer than \(vocabSize): no more pairs occur \(minFrequency) times)"
        }
        context.say(message)
    }
}
