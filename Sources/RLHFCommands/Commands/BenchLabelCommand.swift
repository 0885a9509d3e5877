import Foundation
import RLHFCore
import RLHFData
import RLHFLabel
import RLHFStore

/// `rlhf bench label`: the time from a keypress to the next pair drawn, on a store with a million
/// labels: the label's commit (synchronous=FULL), the claim of the next pair, the queue and the render
/// into an in-memory 120x40 terminal, exactly the screen's code path.
struct BenchLabelCommand: Command {
    static let name = "bench label"
    static let abstract = "Benchmark keypress-to-next-pair latency on a store with 1,000,000 labels (JSON lines)"
    static let usage = "rlhf bench label [--labels N] [--presses K] [--dir DIR]"
    static let options: [OptionSpec] = [
        .value("--labels", "N", "labels in the store (default 1000000)"),
        .value("--presses", "K", "decisions timed (default 2000)"),
        .value("--dir", "DIR", "work folder, reused between runs (default: a temporary folder, removed)"),
    ]

    let labels: Int
    let presses: Int
    let dir: String?

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        labels = try arguments.int("--labels", range: 100...100_000_000) ?? 1_000_000
        presses = try arguments.int("--presses", range: 10...1_000_000) ?? 2000
        dir = arguments.string("--dir").map { context.resolve($0) }
    }

    func run(_ context: CommandContext) throws {
        let work = dir ?? NSTemporaryDirectory() + "rlhf-bench-label-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: work) } }
        let storePath = work + "/label-\(labels).sqlite"
        if !FileManager.default.fileExists(atPath: storePath) {
            context.say("building a store with \(labels) labels in \(storePath)")
            try build(storePath)
        }
        let store = try Store(path: storePath)
        let annotator = "bench-\(getpid())"
        var options = SessionOptions(annotator: annotator)
        options.overlap = 2   // every pair has one label already; the benchmark annotator adds a second
        var start = DispatchTime.now().uptimeNanoseconds
        let session = try LabelSession(store: store, options: options)
        let queueSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try emit(context, ["what": .string("session start (queue of \(session.remaining) pairs over \(labels) labels)"),
                           "seconds": .double((queueSeconds * 1000).rounded() / 1000)])
        let device = VirtualTerminal(columns: 120, rows: 40)
        device.keepFrames = false
        let screen = InteractiveLabeling(session: session, device: device, guidelines: nil)
        guard try screen.start() else { throw CommandFailure("no pair to label in the benchmark store") }
        var samples: [Double] = []
        samples.reserveCapacity(presses)
        let keys: [Key] = [.character("a"), .character("b"), .character("t"), .character("A")]
        for i in 0..<presses {
            start = DispatchTime.now().uptimeNanoseconds
            guard try screen.press(keys[i % keys.count]) else { break }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        let rounded = { (x: Double) in JSONValue.double((x * 1000).rounded() / 1000) }
        try emit(context, ["what": .string("keypress to next pair drawn"), "presses": .int(samples.count),
                           "p50_ms": rounded(percentile(0.50)), "p90_ms": rounded(percentile(0.90)),
                           "p99_ms": rounded(percentile(0.99)), "max_ms": rounded(samples.last ?? 0),
                           "target_p99_ms": .int(10)])
    }

    func emit(_ context: CommandContext, _ fields: KeyValuePairs<String, JSONValue>) throws {
        let object = JSONObject([("bench", .string("label"))] + fields.map { ($0.key, $0.value) })
        try context.stdout.write(JSONWriter.encode(.object(object)) + "\n")
        try context.stdout.flush()
    }

    /// Synthetic comparisons through the real import: 50,000 prompts, each pair labeled once.
    func build(_ path: String) throws {
        let input = path + ".jsonl"
        let words = "the a of kettle blue red good bad very quite fine works broke lovely awful tea water".split(separator: " ").map(String.init)
        var random = SeededRandom(seed: 1)
        func text() -> String { " " + (0..<12).map { _ in words[random.nextInt(below: words.count)] }.joined(separator: " ") + "." }
        let sink = try FileDescriptorSink(path: input)
        var w = JSONWriter(capacity: 4096)
        for i in 0..<labels {
            w.reset()
            w.raw("{\"prompt\":"); w.string("Write a short review of item \(i % 50_000):")
            let chosen = text()
            var rejected = text()
            while rejected == chosen { rejected = text() }
            w.raw(",\"chosen\":"); w.string(chosen)
            w.raw(",\"rejected\":"); w.string(rejected)
            w.raw("}\n")
            try sink.write(w.bytes)
        }
        try sink.flush()
        let store = try Store(path: path, mode: .createIfMissing)
        _ = try store.importJSONL(try DataFile.lineReader(path: input), file: input, options: ImportOptions(kind: .preferences))
        try? FileManager.default.removeItem(atPath: input)
    }
}
