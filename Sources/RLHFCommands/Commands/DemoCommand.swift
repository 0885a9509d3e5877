import Foundation
import RLHFCore
import RLHFData
import RLHFStore

/// `rlhf demo`: the whole pipeline on the demo dataset, as far as it is built. Today: the dataset
/// (regenerated from its seed, byte for byte the committed `datasets/demo/`), the store (import with
/// splits, statistics), simulated annotators labeling through the queue with their accuracy against the
/// gold rule and their agreement, and the export with its byte-identical round trip. Most steps run the
/// very commands a user would type, and print them, so the demo is also a transcript to copy from.
/// Each later stage joins here when its issue lands, and the command says plainly which it skipped.
struct DemoCommand: Command {
    static let name = "demo"
    static let abstract = "Run the pipeline end to end on the demo dataset (what is built so far)"
    static let usage = "rlhf demo [--dir DIR]"
    static let options: [OptionSpec] = [.value("--dir", "DIR", "work folder (default ./rlhf-demo; its store is replaced)")]
    static let notBuiltYet = [
        "PPO (rlhf ppo): not yet an issue",
    ]

    let dir: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        dir = context.resolve(arguments.string("--dir") ?? "rlhf-demo")
    }

    func run(_ context: CommandContext) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let storePath = dir + "/rlhf.sqlite", copyPath = dir + "/roundtrip.sqlite", datasetDir = dir + "/dataset"
        for path in [storePath, copyPath] {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try step(["dataset", "generate", "--out", datasetDir], context)
        for split in Split.allCases {
            try step(["import", "prompts", "\(datasetDir)/prompts-\(split.rawValue).jsonl", "--split", split.rawValue, "--store", storePath], context)
            try step(["import", "sft", "\(datasetDir)/sft-\(split.rawValue).jsonl", "--split", split.rawValue, "--store", storePath], context)
        }
        // Three annotators of differing reliability, two labels per pair, so agreement has shared pairs.
        try step(["simulate-labels", "--annotators", "3", "--overlap", "2", "--seed", "0", "--store", storePath], context)
        try step(["stats", "--store", storePath], context)
        try step(["simulate-labels", "--report", "--store", storePath], context)
        try step(["tokenizer", "train", "--vocab-size", "512", "--from-store", "--split", "train", "--out", dir + "/tokenizer", "--store", storePath], context)
        try step(["tokenizer", "encode", "--tokenizer", dir + "/tokenizer", "Write a short review of the blue kettle:"], context)

        context.say("== export (TRL / OpenRLHF JSONL) and round trip through a new store")
        let store = try Store(path: storePath)
        let exportPath = dir + "/preferences-trl.jsonl"
        let sink = try FileDescriptorSink(path: exportPath)
        let exported = try store.exportPreferences(ExportOptions(), to: sink)
        try sink.flush()
        let copy = try Store(path: copyPath, mode: .createIfMissing)
        _ = try copy.importJSONL(try DataFile.lineReader(path: exportPath), file: exportPath, options: ImportOptions(kind: .preferences))
        let again = MemorySink()
        _ = try copy.exportPreferences(ExportOptions(), to: again)
        let original = try Data(contentsOf: URL(fileURLWithPath: exportPath))
        guard Array(original) == again.bytes else { throw CommandFailure("round trip changed the export: please report this") }
        context.say("exported \(exported.records) records to \(exportPath); re-import and export gave the same bytes")

        try policyStages(storePath: storePath, datasetDir: datasetDir, context)
        try rewardStages(storePath: storePath, context)

        context.say("== not built yet, skipped:")
        for stage in Self.notBuiltYet { context.say("  - \(stage)") }
    }

    /// Runs one rlhf command in-process, its data and messages both to the demo's stderr; `quiet` keeps
    /// a long data stream (one line per completion) off the screen and says how many lines it was.
    func step(_ arguments: [String], _ context: CommandContext, quiet: Bool = false) throws {
        context.say("== rlhf " + arguments.map { Self.relative($0, to: context.currentDirectory) }.joined(separator: " "))
        let data = MemorySink()
        let inner = CommandContext(stdout: quiet ? data : context.stderr, stderr: context.stderr, stdin: MemorySource(""),
                                   environment: context.environment, currentDirectory: context.currentDirectory)
        let code = RLHF.main(arguments, context: inner)
        if quiet { context.say("(\(data.text.split(separator: "\n").count) lines of output not shown)") }
        guard code == 0 else { throw CommandFailure("demo step 'rlhf \(arguments.joined(separator: " "))' failed (exit \(code)); see the message above") }
    }

    /// A path under the working directory relative to it, so the printed command can be pasted as is.
    static func relative(_ path: String, to directory: String) -> String {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
