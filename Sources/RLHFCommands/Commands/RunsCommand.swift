import Foundation
import RLHFCore
import RLHFStore

struct RunsCommand: Command {
    static let name = "runs"
    static let abstract = "List training runs: kind, status, steps, last metrics, checkpoints"
    static let usage = "rlhf runs [--json] [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec, .flag("--json", "one JSON object per run")]

    let storePath: String
    let json: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        json = arguments.flag("--json")
    }

    func run(_ context: CommandContext) throws {
        let runs = try StoreOption.open(storePath, context).runs()
        var out = ""
        for r in runs {
            let metrics = r.lastMetrics.sorted { $0.key < $1.key }
            if json {
                out += JSONWriter.encode(.object(JSONObject([
                    ("id", .int(Int(r.id))), ("kind", .string(r.kind)), ("status", .string(r.status)),
                    ("started_at", .string(r.startedAt)), ("finished_at", r.finishedAt.map { .string($0) } ?? .null),
                    ("message", r.message.map { .string($0) } ?? .null), ("steps", r.lastStep.map { .int($0) } ?? .null),
                    ("last_metrics", .object(JSONObject(metrics.map { ($0.key, JSONValue.double($0.value)) }))),
                    ("checkpoints", .int(r.checkpoints)),
                ]))) + "\n"
            } else {
                out += "\(r.id)  \(r.kind.padding(10))\(r.status.padding(9))steps \(r.lastStep.map(String.init) ?? "-")"
                out += "  checkpoints \(r.checkpoints)  " + metrics.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " ")
                if let m = r.message { out += "  (\(m))" }
                out += "\n"
            }
        }
        if runs.isEmpty { context.say("no runs in \(storePath)") }
        try context.stdout.write(out)
    }
}

struct MetricsCommand: Command {
    static let name = "metrics"
    static let abstract = "Print a run's metrics as CSV or JSON lines"
    static let usage = "rlhf metrics RUN [--format csv|jsonl] [--store PATH]"
    static let options: [OptionSpec] = [StoreOption.spec, .value("--format", "csv|jsonl", "csv (default: step,name,value) or one JSON object per line")]
    static let positionals = 1...1

    let storePath: String
    let runID: Int64
    let format: String

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        guard let id = Int64(arguments.positionals[0]), id > 0 else { throw UsageError("RUN must be a run id (see rlhf runs), got '\(arguments.positionals[0])'") }
        runID = id
        format = try arguments.choice("--format", ["csv", "jsonl"]) ?? "csv"
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        guard try store.runExists(runID) else { throw CommandFailure("no run \(runID) in \(storePath) (see rlhf runs)") }
        if format == "csv" { try context.stdout.write("step,name,value\n") }
        var w = JSONWriter(capacity: 256)
        try store.metrics(runID: runID) { step, name, value in
            if format == "csv" {
                try context.stdout.write("\(step),\(name),\(value.map { JSONWriter.format($0) } ?? "")\n")
            } else {
                w.reset()
                w.raw("{\"step\":"); w.int(step)
                w.raw(",\"name\":"); w.string(name)
                w.raw(",\"value\":"); if let value { w.double(value) } else { w.null() }
                w.raw("}\n")
                try context.stdout.write(w.bytes)
            }
        }
    }
}
