import RLHFData
import RLHFStore

struct ImportCommand: Command {
    static let name = "import"
    static let abstract = "Import prompts, SFT pairs or preferences from JSONL (.gz streamed)"
    static let usage = "rlhf import prompts|sft|preferences FILE.jsonl[.gz]... [--format trl|hh] [--split SPLIT] [--annotator NAME] [--keep-wal] [--store PATH]"
    static let options: [OptionSpec] = [
        StoreOption.spec,
        .value("--format", "trl|hh", "preference format (default: TRL when a record has \"prompt\", else HH)"),
        .value("--split", "SPLIT", "put new prompts in train, validation or test (default: unassigned until rlhf split)"),
        .value("--annotator", "NAME", "annotator of imported labels whose meta names none"),
        .flag("--keep-wal", "stay in WAL even for a big file, so other commands can read the store meanwhile (slower commit)"),
    ]
    static let positionals = 2...Int.max
    static let discussion = """
        Formats (one JSON object per line):
          prompts      {"prompt": "..."} (or a list of {"role","content"} messages), optional "meta" object
          sft          {"prompt": "...", "completion": "..."} (or message lists)
          preferences  TRL {"prompt", "chosen", "rejected", optional "margin", our "meta"}, conversational
                       message lists, or Anthropic HH {"chosen": "\\n\\nHuman: ...", "rejected": ...}
        Each file is one transaction: a bad line aborts that file with FILE:LINE: reason and exit 1, and
        the store is as it was. Importing a file again adds nothing.
        """

    let storePath: String
    let kind: ImportKind
    let files: [String]
    let options: ImportOptions

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        guard let kind = ImportKind(rawValue: arguments.positionals[0]) else {
            var message = "unknown import kind '\(arguments.positionals[0])': use prompts, sft or preferences"
            if let guess = Suggest.closest(to: arguments.positionals[0], among: ImportKind.allCases.map(\.rawValue)) {
                message += " (did you mean \(guess)?)"
            }
            throw UsageError(message)
        }
        self.kind = kind
        files = arguments.positionals.dropFirst().map { context.resolve($0) }
        let format = try arguments.choice("--format", PreferenceFormat.allCases.map(\.rawValue)).flatMap(PreferenceFormat.init(rawValue:))
        if format != nil && kind != .preferences { throw UsageError("--format applies to preferences only") }
        let split = try arguments.choice("--split", Split.allCases.map(\.rawValue)).flatMap(Split.init(rawValue:))
        let annotator = arguments.string("--annotator")
        if annotator?.isEmpty == true { throw UsageError("--annotator needs a non-empty name") }
        var options = ImportOptions(kind: kind, format: format, split: split, annotator: annotator)
        if arguments.flag("--keep-wal") { options.bulkJournalMinimumBytes = nil }
        self.options = options
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context, create: true)
        for file in files {
            let reader = try DataFile.lineReader(path: file, stdin: context.stdin)
            let s = try store.importJSONL(reader, file: file, options: options)
            var line = "\(file): \(s.records) records, \(s.newRecords) new, \(s.existingRecords) already there"
            line += "; \(s.newPrompts) new prompts, \(s.newCompletions) new completions"
            context.say(line)
            if s.blankLines > 0 { context.say("  \(s.blankLines) blank lines skipped") }
            if s.splitConflicts > 0 {
                context.say("  warning: \(s.splitConflicts) prompts already had another split; kept it (rlhf split --reassign moves prompts)")
            }
            if s.marginsNotInTable > 0 {
                context.say("  warning: \(s.marginsNotInTable) margins are not in the strength table (0.333, 0.667, 1); stored with unknown strength")
            }
        }
    }
}
