import Dispatch
import Foundation
import RLHFCore
import RLHFModel
import RLHFTrain

/// `rlhf bench rm`: reward-model training throughput in the PyTorch anchor's shapes
/// (../shared/bench/torch_gpt2.py --what rm): 8 pairs per step, all 16 sequences of the full context,
/// Bradley-Terry loss, backward through the scalar head and the trunk, gradient clipping and AdamW.
struct BenchRMCommand: Command {
    static let name = "bench rm"
    static let abstract = "Measure reward-model training pairs/s (tiny, small, gpt2), optionally beside the PyTorch anchor"
    static let usage = "rlhf bench rm [--config tiny|small|gpt2 ...] [--iters N] [--pairs N] [--threads N] [--anchor torch_gpt2.py [--python PY]]"
    static let discussion = """
        Prints one JSON line per config: pairs/s (median, min, max over the timed steps after one warm-up
        step) and the peak resident memory of the config's run. Context as the anchor: 128 for tiny, 256
        for small and gpt2. With --anchor, the PyTorch anchor runs right after each config in the same
        session (its JSON line follows ours), so both see the same machine load.
        """
    static let options: [OptionSpec] = [
        .repeating("--config", "NAME", "tiny, small or gpt2 (repeatable; default all three)"),
        .value("--iters", "N", "timed steps per config (default 5; 3 for gpt2)"),
        .value("--pairs", "N", "pairs per step (default 8: 16 sequences)"),
        .value("--threads", "N", "threads (default: all cores)"),
        .flag("--profile", "also print the time per kernel (stderr)"),
        .value("--anchor", "SCRIPT", "also run this PyTorch anchor (../shared/bench/torch_gpt2.py) per config"),
        .value("--python", "PY", "the Python with torch for --anchor (default python3)"),
    ]

    let configs: [String]
    let iterations: Int?
    let pairs: Int
    let threads: Int?
    let anchor: String?
    let python: String
    let profile: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        let chosen = try arguments.choices("--config", ["tiny", "small", "gpt2"])
        configs = chosen.isEmpty ? ["tiny", "small", "gpt2"] : chosen
        iterations = try arguments.int("--iters", range: 1...1000)
        pairs = try arguments.int("--pairs", range: 1...512) ?? 8
        threads = try arguments.int("--threads", range: 1...256)
        anchor = arguments.string("--anchor").map(context.resolve)
        python = arguments.string("--python") ?? "python3"
        profile = arguments.flag("--profile")
    }

    func run(_ context: CommandContext) throws {
        if let threads { Parallel.threads = threads }
        for name in configs {
            guard var config = GPT2Config.named(name) else { continue }
            let T = name == "tiny" ? 128 : 256
            config.contextLength = T
            try context.stdout.write(try bench(name: name, config: config, T: T, context) + "\n")
            try context.stdout.flush()
            if let anchor { try runAnchor(anchor, config: name, context) }
        }
    }

    private func bench(name: String, config: GPT2Config, T: Int, _ context: CommandContext) throws -> String {
        PeakMemory.reset()
        let model = try GPT2(config: config, scalarHead: true)
        model.initializeWeights(seed: 1)
        let optimizer = AdamW(config: AdamWConfig(), layout: model.layout)
        var random = SeededRandom(seed: 7)
        let sequences = (0..<(2 * pairs)).map { _ in (0..<T).map { _ in random.nextInt(below: config.vocabSize) } }
        let batch = RewardBatch(sequences: sequences, readPositions: Array(repeating: T - 1, count: 2 * pairs),
                                comparisons: (0..<pairs).map { RewardBatch.Comparison(first: $0, second: $0 + pairs, outcome: .firstWins) })
        func step() throws {
            _ = try RewardStep.accumulate(model: model, batch: batch, objective: RewardObjective())
            guard let gradients = model.gradients else { return }
            let norm = GradientClipping.globalNorm(gradients)
            optimizer.update(parameters: model.parameters, gradients: gradients, learningRate: 1e-4,
                             gradientScale: GradientClipping.scale(norm: norm, maxNorm: 1))
        }
        try step()   // warm-up
        Profile.enabled = profile
        Profile.reset()
        defer { Profile.enabled = false }
        var rates: [Double] = []
        for _ in 0..<(iterations ?? (name == "gpt2" ? 3 : 5)) {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            rates.append(Double(pairs) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
        }
        if profile { BenchProfile.say(name, over: "\(rates.count) steps", context) }
        rates.sort()
        var json = JSONWriter()
        json.raw("{")
        json.key("config", first: true); json.string(name)
        json.key("what"); json.string("rm")
        json.key("impl"); json.string("rlhf")
        json.key("threads"); json.int(Parallel.threads)
        json.key("pairs"); json.int(pairs)
        json.key("seq"); json.int(T)
        json.key("unit"); json.string("pairs/s")
        json.key("median"); json.double((rates[rates.count / 2] * 1000).rounded() / 1000)
        json.key("min"); json.double((rates[0] * 1000).rounded() / 1000)
        json.key("max"); json.double((rates[rates.count - 1] * 1000).rounded() / 1000)
        json.key("peak_rss_mib"); json.double((PeakMemory.residentMiB() * 10).rounded() / 10)
        json.raw("}")
        return String(decoding: json.bytes, as: UTF8.self)
    }

    private func runAnchor(_ script: String, config: String, _ context: CommandContext) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--config", config, "--what", "rm", "--threads", "\(Parallel.threads)",
                             "--batch", "\(pairs)"] + (iterations.map { ["--iters", "\($0)"] } ?? (config == "gpt2" ? ["--iters", "3"] : []))
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure("anchor \(script) failed with exit code \(process.terminationStatus) (does \(python) have torch?)")
        }
        try context.stdout.write(String(decoding: data, as: UTF8.self))
    }
}
