import Foundation
import RLHFCore
import RLHFData
import RLHFStore

/// `rlhf bench store`: the real import and export code paths (validation, dedup, indexes and triggers
/// on) over synthetic TRL comparisons shaped like `../shared/bench/python_store.py`'s, so both can be
/// run side by side in one run (`--anchor` runs that script with the same row count).
struct BenchStoreCommand: Command {
    static let name = "bench store"
    static let abstract = "Benchmark import, export and open on synthetic comparisons (JSON lines)"
    static let usage = "rlhf bench store [--rows N] [--dir DIR] [--anchor SCRIPT.py]"
    static let options: [OptionSpec] = [
        .value("--rows", "N", "synthetic comparisons (default 1000000)"),
        .value("--dir", "DIR", "work folder (default: a temporary folder, removed afterwards)"),
        .value("--anchor", "SCRIPT", "also run this Python anchor (../shared/bench/python_store.py) in the same run"),
    ]

    let rows: Int
    let dir: String?
    let anchor: String?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        rows = try arguments.int("--rows", range: 1...100_000_000) ?? 1_000_000
        dir = arguments.string("--dir").map { context.resolve($0) }
        anchor = arguments.string("--anchor").map { context.resolve($0) }
    }

    func run(_ context: CommandContext) throws {
        let work = dir ?? NSTemporaryDirectory() + "rlhf-bench-store-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: work) } }
        let input = work + "/synthetic-\(rows).jsonl"
        if !FileManager.default.fileExists(atPath: input) {
            context.say("writing \(rows) synthetic comparisons to \(input)")
            try writeSynthetic(input)
        }
        let storePath = work + "/bench.sqlite"
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }

        var store: Store? = try Store(path: storePath, mode: .createIfMissing)
        var phase = Phase()
        let summary = try store!.importJSONL(try DataFile.lineReader(path: input), file: input, options: ImportOptions(kind: .preferences))
        var t = phase.end()
        precondition(summary.newRecords == rows)
        try emit(context, ["what": .string("import"), "rows": .int(rows), "seconds": .double(round3(t.wall)),
                           "rows_per_s": .int(Int(Double(rows) / t.wall)), "cpu_seconds": .double(round3(t.cpu)),
                           "load_avg_1m": .double(phase.load)])

        store = nil
        phase = Phase()
        store = try Store(path: storePath)
        t = phase.end()
        let size = (try? FileManager.default.attributesOfItem(atPath: storePath)[.size] as? Int) ?? 0
        try emit(context, ["what": .string("open"), "rows": .int(rows), "seconds": .double(round4(t.wall)),
                           "store_bytes": .int(size), "note": .string("open a store of this size: pragmas, migration check")])

        phase = Phase()
        _ = try store!.stats()
        t = phase.end()
        try emit(context, ["what": .string("stats"), "rows": .int(rows), "seconds": .double(round3(t.wall)),
                           "cpu_seconds": .double(round3(t.cpu)), "note": .string("rlhf stats over the store")])

        let output = work + "/export.jsonl"
        phase = Phase()
        let sink = try FileDescriptorSink(path: output)
        let exported = try store!.exportPreferences(ExportOptions(), to: sink)
        try sink.flush()
        t = phase.end()
        try emit(context, ["what": .string("export"), "rows": .int(exported.records), "seconds": .double(round3(t.wall)),
                           "rows_per_s": .int(Int(Double(exported.records) / t.wall)), "cpu_seconds": .double(round3(t.cpu)),
                           "load_avg_1m": .double(phase.load)])

        if let anchor { try runAnchor(anchor, work, context) }
    }

    func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    func round4(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }

    /// Wall and process CPU time of one phase, and the load average when it started (the machine is
    /// shared: CPU seconds above wall seconds mean both cores worked; a load above 2 means others did too).
    struct Phase {
        let start = Date()
        let cpuStart = Phase.cpuSeconds()
        let load = Phase.loadAverage()

        func end() -> (wall: Double, cpu: Double) {
            (Date().timeIntervalSince(start), Phase.cpuSeconds() - cpuStart)
        }

        static func cpuSeconds() -> Double {
            var usage = rusage()
            #if canImport(Glibc)
            getrusage(RUSAGE_SELF.rawValue, &usage)
            #else
            getrusage(RUSAGE_SELF, &usage)
            #endif
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }

        static func loadAverage() -> Double {
            guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
                  let first = text.split(separator: " ").first, let value = Double(first) else { return -1 }
            return value
        }
    }

    func emit(_ context: CommandContext, _ fields: KeyValuePairs<String, JSONValue>) throws {
        let object = JSONObject([("bench", .string("store")), ("impl", .string("rlhf"))] + fields.map { ($0.key, $0.value) })
        try context.stdout.write(JSONWriter.encode(.object(object)) + "\n")
        try context.stdout.flush()
    }

    /// Same shape as python_store.py: 50,000 prompts, two 12-word replies from a 16-word vocabulary.
    func writeSynthetic(_ path: String) throws {
        let words = "the a of kettle blue red good bad very quite fine works broke lovely awful tea water".split(separator: " ").map(String.init)
        var random = SeededRandom(seed: 0)
        func text() -> String { (0..<12).map { _ in words[random.nextInt(below: words.count)] }.joined(separator: " ") }
        let sink = try FileDescriptorSink(path: path)
        var w = JSONWriter(capacity: 1 << 12)
        for i in 0..<rows {
            w.reset()
            w.raw("{\"prompt\":"); w.string("Write a review of item \(i % 50_000):")
            var chosen = text(), rejected = text()
            while rejected == chosen { rejected = text() }
            w.raw(",\"chosen\":"); w.string(chosen)
            w.raw(",\"rejected\":"); w.string(rejected)
            w.raw("}\n")
            try sink.write(w.bytes)
            chosen = ""
        }
        try sink.flush()
    }

    func runAnchor(_ script: String, _ work: String, _ context: CommandContext) throws {
        // The anchor writes its own input (Python's RNG) with the same row count it hard-codes.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, work]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailure("anchor \(script) failed with exit code \(process.terminationStatus)") }
        try context.stdout.write(String(decoding: data, as: UTF8.self))
    }
}
