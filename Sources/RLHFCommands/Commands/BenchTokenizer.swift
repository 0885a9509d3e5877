import Foundation
import RLHFCore
import RLHFData
import RLHFTokenizer

/// Times the tokenizer on the HH-RLHF test texts against the anchors of ../shared/bench/README.md.
/// Every timed run starts from a fresh `BPETokenizer` (empty piece cache), as the anchors were measured.
struct BenchTokenizerCommand: Command {
    static let name = "bench tokenizer"
    static let abstract = "Time tokenizer encode, decode and training (JSON lines)"
    static let usage = "rlhf bench tokenizer [--data FILE] [--tokenizer DIR] [--repeats N]"
    static let discussion = """
        Prints one JSON line per figure: the median over --repeats runs, with min and max, next to the
        anchor and the target. Encoding and decoding run on one core. Default inputs are under
        $RLHF_SHARED (else ../shared): datasets/hh-rlhf/harmless-base-test.jsonl.gz (the chosen and
        rejected text of each line: 4,624 texts) and reference/gpt2-tokenizer.
        """
    static let options: [OptionSpec] = [
        .value("--data", "FILE", "JSON lines with chosen and rejected texts (.gz read with gzip)"),
        TokenizerOption.spec,
        .value("--repeats", "N", "timed runs per figure (default 5)"),
        .repeating("--only", "FIGURE", "only these figures: load, pretokenize, encode, decode, train"),
    ]
    static let figures = ["load", "pretokenize", "encode", "decode", "train"]

    /// From ../shared/bench/README.md (measured on this kind of machine).
    static let tiktokenEncodeMBps = 19.5
    static let huggingFaceEncodeMBps = 3.3
    static let huggingFaceTrainSeconds: [Int: Double] = [2000: 0.44, 8000: 0.54]

    let dataPath: String
    let tokenizerDirectory: String
    let repeats: Int
    let only: Set<String>

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        let shared: String
        if let env = context.environment["RLHF_SHARED"], !env.isEmpty {
            shared = context.resolve(env)
        } else {
            shared = context.resolve("../shared")
        }
        dataPath = arguments.string("--data").map(context.resolve)
            ?? (shared + "/datasets/hh-rlhf/harmless-base-test.jsonl.gz")
        tokenizerDirectory = arguments.string("--tokenizer").map(context.resolve) ?? (shared + "/reference/gpt2-tokenizer")
        repeats = try arguments.int("--repeats", range: 1...1000) ?? 5
        let chosen = try arguments.choices("--only", Self.figures)
        only = Set(chosen.isEmpty ? Self.figures : chosen + (chosen.contains("decode") ? ["encode"] : []))
    }

    func run(_ context: CommandContext) throws {
        let texts = try Self.loadTexts(dataPath)
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let megabytes = Double(bytes) / 1e6

        let vocabulary = try TokenizerFiles.load(directory: tokenizerDirectory)
        if only.contains("load") {
            let load = try time(repeats) { _ = try TokenizerFiles.load(directory: tokenizerDirectory) }
            try emit(context, "load", [("seconds", .double(load.median)), ("seconds_min", .double(load.min)),
                                       ("seconds_max", .double(load.max))])
        }
        if only.contains("pretokenize") { try pretokenize(context, texts, megabytes) }
        if only.contains("encode") { try encodeAndDecode(context, texts, vocabulary, bytes) }
        if only.contains("train") { try train(context, texts) }
    }

    func pretokenize(_ context: CommandContext, _ texts: [String], _ megabytes: Double) throws {

        // Pre-tokenization alone: the hand-written scanner against Swift's Regex (one run: it is slow).
        let scan = time(repeats) { _ = PreTokenization.countPieces(texts) }
        let regexTokenizer = RegexPreTokenizer()
        let regex = time(1) { for text in texts { _ = regexTokenizer.pieces(text) } }
        try emit(context, "pretokenize", [("pretokenizer", .string("scanner")), ("mb_per_s", .double(megabytes / scan.median)),
                                          ("mb_per_s_min", .double(megabytes / scan.max)),
                                          ("mb_per_s_max", .double(megabytes / scan.min))])
        try emit(context, "pretokenize", [("pretokenizer", .string("swift_regex")), ("mb_per_s", .double(megabytes / regex.median)),
                                          ("runs", .int(1))])
    }

    func encodeAndDecode(_ context: CommandContext, _ texts: [String], _ vocabulary: BPEVocabulary, _ bytes: Int) throws {
        let megabytes = Double(bytes) / 1e6
        var encoded: [[Int]] = []
        var tokenCount = 0
        let encode = time(repeats) {
            let tokenizer = BPETokenizer(vocabulary: vocabulary)
            encoded = texts.map { tokenizer.encodeOrdinary($0) }
        }
        tokenCount = encoded.reduce(0) { $0 + $1.count }
        let encodeMBps = megabytes / encode.median
        try emit(context, "encode_ordinary", [
            ("texts", .int(texts.count)), ("bytes", .int(bytes)), ("tokens", .int(tokenCount)),
            ("mb_per_s", .double(encodeMBps)), ("mb_per_s_min", .double(megabytes / encode.max)),
            ("mb_per_s_max", .double(megabytes / encode.min)),
            ("anchor", .string("tiktoken 0.14 encode_ordinary, one thread")),
            ("anchor_mb_per_s", .double(Self.tiktokenEncodeMBps)),
            ("anchor_hf_mb_per_s", .double(Self.huggingFaceEncodeMBps)),
            ("meets_target", .bool(encodeMBps >= Self.tiktokenEncodeMBps)),
        ])
        guard only.contains("decode") else { return }

        var decoded: [String] = []
        let decode = try time(repeats) {
            let tokenizer = BPETokenizer(vocabulary: vocabulary)
            decoded = try encoded.map { try tokenizer.decode($0) }
        }
        let mismatches = zip(decoded, texts).filter { $0 != $1 }.count
        try emit(context, "decode", [
            ("mb_per_s", .double(megabytes / decode.median)), ("mb_per_s_min", .double(megabytes / decode.max)),
            ("mb_per_s_max", .double(megabytes / decode.min)), ("round_trip_mismatches", .int(mismatches)),
        ])
    }

    func train(_ context: CommandContext, _ texts: [String]) throws {
        for size in [2000, 8000] {
            var merges = 0
            let train = try time(repeats) {
                merges = try BPETrainer.train(texts: texts, vocabSize: size).mergeCount
            }
            let anchor = Self.huggingFaceTrainSeconds[size] ?? 0
            try emit(context, "train", [
                ("vocab_size", .int(size)), ("merges", .int(merges)),
                ("seconds", .double(train.median)), ("seconds_min", .double(train.min)),
                ("seconds_max", .double(train.max)),
                ("anchor", .string("Hugging Face tokenizers 0.23 BpeTrainer, 2 threads")),
                ("anchor_seconds", .double(anchor)), ("target_seconds", .double(2 * anchor)),
                ("meets_target", .bool(train.median <= 2 * anchor)),
            ])
        }
    }

    struct Timing { let median: Double; let min: Double; let max: Double }

    func time(_ runs: Int, _ body: () throws -> Void) rethrows -> Timing {
        var seconds: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        seconds.sort()
        let mid = seconds.count / 2
        let median = seconds.count % 2 == 1 ? seconds[mid] : (seconds[mid - 1] + seconds[mid]) / 2
        return Timing(median: median, min: seconds[0], max: seconds[seconds.count - 1])
    }

    func emit(_ context: CommandContext, _ what: String, _ fields: [(String, JSONValue)]) throws {
        var object = JSONObject([("bench", .string("tokenizer")), ("impl", .string("rlhf")), ("what", .string(what))])
        for (key, value) in fields {
            if case .number = value, let d = value.doubleValue, d != d.rounded() {
                object[key] = .number(String(format: "%.4g", d))
            } else {
                object[key] = value
            }
        }
        try context.stdout.write(JSONWriter.encode(.object(object)) + "\n")
        try context.stdout.flush()
    }

    /// The chosen and rejected strings of each line (a `.gz` file is inflated as it is read).
    static func loadTexts(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("cannot find \(path); pass --data FILE or set RLHF_SHARED to the shared folder")
        }
        let source: ByteSource = path.hasSuffix(".gz") ? try GzipSource(path: path) : try FileDescriptorSource(path: path)
        let reader = LineReader(source: source)
        var texts: [String] = []
        while let object = try reader.nextLine({ try? JSONParser.parse($0) }) {
            guard let chosen = object?.objectValue?["chosen"]?.stringValue,
                  let rejected = object?.objectValue?["rejected"]?.stringValue else {
                throw CommandFailure("\(path) line \(reader.lineNumber): expected {\"chosen\": ..., \"rejected\": ...}")
            }
            texts.append(chosen)
            texts.append(rejected)
        }
        return texts
    }
}
