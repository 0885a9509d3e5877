import Foundation
import RLHFCore
import RLHFData
import RLHFStore

struct ExportPreferencesCommand: Command {
    static let name = "export preferences"
    static let abstract = "Stream current labels as TRL / OpenRLHF or HH JSONL"
    static let usage = "rlhf export preferences [--format trl|hh] [--split ...] [--annotator ...] [--source ...] [--aggregate all|majority] [--min-agreement F] [--include-ties] [--out FILE|-] [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec,
        .value("--format", "trl|hh", "trl (default): prompt/chosen/rejected/margin/meta; hh: chosen/rejected dialogues"),
    ] + FilterOptions.specs + [
        .value("--aggregate", "all|majority", "all labels (default), or one record per pair with its majority winner"),
        .value("--min-agreement", "F", "only pairs whose majority share of current labels is at least F (0-1)"),
        .flag("--include-ties", "include ties (meta.winner \"tie\"; left out by default)"),
        .value("--out", "FILE|-", "write to FILE (replaced only when the export succeeds); default stdout"),
    ]
    static let discussion = """
        Reads only current labels (superseded ones never appear). TRL records carry "margin" from strength
        (strong 1, clear 0.667, slight 0.333, unknown 0) on every record when any exported label has a
        strength, else on none. OpenRLHF reads the same files with --prompt_key prompt --chosen_key chosen
        --rejected_key rejected. Export -> import into a new store -> export gives the same bytes.
        """

    let storePath: String
    let options: ExportOptions
    let out: String?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        var options = ExportOptions()
        if let f = try arguments.choice("--format", PreferenceFormat.allCases.map(\.rawValue)) {
            options.format = PreferenceFormat(rawValue: f)!
        }
        options.filter = try FilterOptions.filter(arguments)
        if let a = try arguments.choice("--aggregate", ExportOptions.Aggregate.allCases.map(\.rawValue)) {
            options.aggregate = ExportOptions.Aggregate(rawValue: a)!
        }
        options.minAgreement = try arguments.double("--min-agreement", range: 0...1)
        options.includeTies = arguments.flag("--include-ties")
        self.options = options
        out = arguments.string("--out").flatMap { $0 == "-" ? nil : context.resolve($0) }
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        let summary: ExportSummary
        if let out, FileKind.of(out) == .other {
            // A device or a pipe (`--out /dev/null`, a FIFO): written as it is. Renaming a file over
            // it replaced /dev/null with a regular file when run as root.
            let sink = try FileDescriptorSink(path: out)
            summary = try store.exportPreferences(options, to: sink)
            try sink.flush()
        } else if let out {
            // Written beside the target and renamed into place: a failed export leaves no half file.
            // Through a symbolic link, the file it points to is replaced and the link kept.
            let out = URL(fileURLWithPath: out).resolvingSymlinksInPath().path
            let temporary = out + ".partial-\(getpid())"
            do {
                let sink = try FileDescriptorSink(path: temporary)
                summary = try store.exportPreferences(options, to: sink)
                try sink.sync()
                try FileManager.default.moveItemReplacing(temporary, out)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
        } else {
            summary = try store.exportPreferences(options, to: context.stdout)
        }
        var line = "exported \(summary.records) records"
        if options.includeTies { line += " (\(summary.ties) ties)" }
        line += summary.withMargin ? ", with margin" : ", no margin (no exported label has a strength)"
        if options.aggregate == .majority { line += "; \(summary.pairsWithoutMajority) pairs without a majority left out" }
        context.say(line)
    }
}

extension FileManager {
    func moveItemReplacing(_ source: String, _ destination: String) throws {
        if rename(source, destination) != 0 {
            throw CommandFailure("cannot move \(source) to \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
