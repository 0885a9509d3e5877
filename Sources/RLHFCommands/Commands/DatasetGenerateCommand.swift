import Foundation
import RLHFCore
import RLHFData

/// `rlhf dataset generate`: writes the demo dataset (issue 6) from its seed. The committed copy in
/// `datasets/demo/` is this command's output for the default seed; `--check` verifies that without writing.
struct DatasetGenerateCommand: Command {
    static let name = "dataset generate"
    static let abstract = "Write the demo dataset (product-review prompts and SFT completions) from its seed"
    static let usage = "rlhf dataset generate [--out DIR] [--seed S] [--check]"
    static let options: [OptionSpec] = [
        .value("--out", "DIR", "folder for the files (default datasets/demo)"),
        .value("--seed", "S", "generator seed (default \(DemoDataset.defaultSeed), the committed dataset's)"),
        .flag("--check", "write nothing; exit 1 unless the files in DIR are exactly what the seed gives"),
    ]
    static let discussion = """
        Files, per split (train, validation, test): prompts-SPLIT.jsonl ({"prompt", "meta": {"product"}}) and
        sft-SPLIT.jsonl ({"prompt", "completion"}). Import them with
          rlhf import prompts DIR/prompts-train.jsonl --split train     (and so on for each split)
          rlhf import sft DIR/sft-train.jsonl --split train
        A summary (row counts, gold scores, length-only rule) goes to stderr. See datasets/README.md.
        """

    let out: String
    let seed: UInt64
    let check: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        out = context.resolve(arguments.string("--out") ?? "datasets/demo")
        seed = try arguments.uint64("--seed") ?? DemoDataset.defaultSeed
        check = arguments.flag("--check")
    }

    func run(_ context: CommandContext) throws {
        let dataset = DemoDataset.generate(seed: seed)
        let files = dataset.files()
        if check {
            var differing: [String] = []
            for file in files {
                let path = out + "/" + file.name
                let existing = FileManager.default.contents(atPath: path).map(Array.init)
                if existing != file.bytes { differing.append(path) }
            }
            guard differing.isEmpty else {
                throw CommandFailure("\(differing.joined(separator: ", ")) \(differing.count == 1 ? "is" : "are") not what seed \(seed) generates: regenerate with tools/generate-demo-dataset (or rlhf dataset generate --out \(out))")
            }
            context.say("\(files.count) files in \(out) match seed \(seed)")
            return
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for file in files {
            // Beside the target, then renamed: an interrupted run never leaves half a file.
            let path = out + "/" + file.name
            try Data(file.bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        context.say("wrote \(files.count) files to \(out) (seed \(seed), \(files.reduce(0) { $0 + $1.bytes.count }) bytes)")
        for line in Self.summary(DemoStatistics(dataset)) { context.say(line) }
    }

    /// Row counts, gold scores and the length-only rule, as the README reports them.
    static func summary(_ s: DemoStatistics) -> [String] {
        func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        let splits = Split.allCases.map { "\($0.rawValue) \(s.prompts[$0] ?? 0) prompts / \(s.completions[$0] ?? 0) completions" }
        let histogram = s.scoreHistogram.keys.sorted().map { "\($0): \(s.scoreHistogram[$0]!)" }.joined(separator: ", ")
        return [
            "splits: " + splits.joined(separator: "; "),
            String(format: "pairs of completions of one prompt: %d, of which %d (%.1f%%) gold ties", s.pairs, s.goldTies,
                   s.pairs == 0 ? 0 : Double(s.goldTies) * 100 / Double(s.pairs)),
            "length-only rule (longer wins) on pairs with a gold winner: \(percent(s.lengthInCharacters.longerWinsAccuracy)) by characters (\(s.lengthInCharacters.pairs) pairs), \(percent(s.lengthInWords.longerWinsAccuracy)) by words (\(s.lengthInWords.pairs) pairs)",
            String(format: "words per completion: %.2f on average; %d distinct words in prompts and completions", s.meanWordsPerCompletion, s.distinctWords),
            "gold scores of completions: " + histogram,
        ]
    }
}
