import Dispatch
import Foundation
import RLHFCore
import RLHFModel

/// `rlhf bench sample`: new tokens/s of the KV-cache sampler in the shapes of the Hugging Face
/// `generate` anchor (../shared/bench/torch_gpt2.py --what hfgen): 32-token prompts, 96 new tokens,
/// temperature 1, top-k 50 (generate's own defaults), no early stop, batch 1 and 16.
struct BenchSampleCommand: Command {
    static let name = "bench sample"
    static let abstract = "Measure sampling new tokens/s (tiny, small, gpt2; batch 1 and 16)"
    static let usage = "rlhf bench sample [--config tiny|small|gpt2 ...] [--batch N ...] [--weights f32|bf16 ...] [--iters N] [--threads N]"
    static let discussion = """
    One JSON line per (config, batch): new tokens/s (median, min, max over timed sample() calls after one
    warm-up call; each call prefills the prompts and samples 96 tokens per sequence), the seconds spent
    once per model snapshotting its weights for decoding (not in the rate), and the peak resident memory.
    Batch-1 lines also carry the bytes of weights read per token, the memory read rate measured in the
    same run (GB/s, all threads) and the cap it sets (tokens/s if decoding did nothing but read the
    weights), and the fraction of that cap reached. Run the anchor beside it, not at another time.
    --weights bf16 measures a Sampler holding its matrices in bfloat16 (half the bytes per token; the
    line says "weights": "bf16"); the default and the anchor's comparison is f32.
    """
    static let options: [OptionSpec] = [
        .repeating("--config", "NAME", "tiny, small or gpt2 (repeatable; default all three)"),
        .repeating("--batch", "N", "sequences per call (repeatable; default 1 and 16)"),
        .repeating("--weights", "f32|bf16", "precision the sampler holds its matrices in (repeatable; default f32)"),
        .value("--iters", "N", "timed calls per line (default 3)"),
        .value("--threads", "N", "threads (default: all cores)"),
        .flag("--profile", "also print the time per kernel (stderr)"),
    ]

    let configs: [String]
    let batches: [Int]
    let precisions: [SamplingWeights]
    let iterations: Int
    let threads: Int?
    let profile: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        let chosen = try arguments.choices("--config", ["tiny", "small", "gpt2"])
        configs = chosen.isEmpty ? ["tiny", "small", "gpt2"] : chosen
        var batches: [Int] = []
        for text in arguments.strings("--batch") {
            guard let b = Int(text), (1...1024).contains(b) else { throw UsageError("--batch wants 1...1024, got '\(text)'") }
            batches.append(b)
        }
        self.batches = batches.isEmpty ? [1, 16] : batches
        let precisions = try arguments.strings("--weights").map(SamplingOptions.weights)
        self.precisions = precisions.isEmpty ? [.float32] : precisions
        iterations = try arguments.int("--iters", range: 1...1000) ?? 3
        threads = try arguments.int("--threads", range: 1...256)
        profile = arguments.flag("--profile")
    }

    func run(_ context: CommandContext) throws {
        if let threads { Parallel.threads = threads }
        let promptLength = 32, newTokens = 96
        let settings = SamplingSettings(temperature: 1, topK: 50, topP: 1, maxNewTokens: newTokens, stopTokens: [])
        var bandwidth: Double? = nil
        for name in configs {
            guard var config = GPT2Config.named(name) else { continue }
            config.contextLength = name == "tiny" ? 128 : 256   // the anchor's position tables
            PeakMemory.reset()
            let model = try GPT2(config: config)
            model.initializeWeights(seed: 1)
            for (index, precision) in precisions.enumerated() {
            if index > 0 { PeakMemory.reset() }   // each precision's line its own peak
            let snapshotStart = DispatchTime.now().uptimeNanoseconds
            let sampler = Sampler(model: model, weights: precision)
            let snapshotSeconds = Double(DispatchTime.now().uptimeNanoseconds - snapshotStart) * 1e-9
            for B in batches {
                var random = SeededRandom(seed: 3)
                let prompts = (0..<B).map { _ in (0..<promptLength).map { _ in random.nextInt(below: config.vocabSize) } }
                _ = try sampler.sample(prompts: prompts, settings: settings, seed: 0)   // warm-up
                var rates: [Double] = []
                Profile.enabled = profile
                Profile.reset()
                for i in 0..<iterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let out = try sampler.sample(prompts: prompts, settings: settings, seed: UInt64(i + 1))
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                    rates.append(Double(out.reduce(0) { $0 + $1.tokens.count }) / seconds)
                }
                Profile.enabled = false
                if profile {
                    BenchProfile.say("\(name) batch \(B)" + (precision == .float32 ? "" : " \(precision.flag)"), over: "\(rates.count) calls", nameWidth: 28,
                                     counted: { !$0.hasPrefix("sample.prefill") }, context)
                }
                rates.sort()
                var json = JSONWriter()
                json.raw("{")
                json.key("config", first: true); json.string(name)
                json.key("what"); json.string("sample")
                json.key("threads"); json.int(Parallel.threads)
                json.key("batch"); json.int(B)
                json.key("kernels"); json.string(ComputeInfo.decodeKernels)
                json.key("weights"); json.string(precision.flag)
                json.key("prompt_tokens"); json.int(promptLength)
                json.key("new_tokens"); json.int(newTokens)
                json.key("temperature"); json.double(1)
                json.key("top_k"); json.int(50)
                json.key("unit"); json.string("new tokens/s")
                json.key("median"); json.double(round1(rates[rates.count / 2]))
                json.key("min"); json.double(round1(rates[0]))
                json.key("max"); json.double(round1(rates[rates.count - 1]))
                json.key("snapshot_seconds"); json.double((snapshotSeconds * 1000).rounded() / 1000)
                if B == 1 {
                    // Every parameter is read once per token (the position table only one row of).
                    let parameters = model.layout.trunkCount - (config.contextLength - 1) * config.channels
                    let bytes = 4 * parameters - (precision == .bfloat16 ? 2 * Self.matrixWeights(config) : 0)
                    let readRate = bandwidth ?? MemoryBandwidth.readGBps()
                    bandwidth = readRate
                    let cap = readRate * 1e9 / Double(bytes)
                    json.key("weight_bytes_per_token"); json.int(bytes)
                    json.key("memory_read_gbps"); json.double(round1(readRate))
                    json.key("bandwidth_cap_tokens_per_s"); json.double(round1(cap))
                    json.key("cap_fraction"); json.double((rates[rates.count / 2] / cap * 1000).rounded() / 1000)
                }
                json.key("peak_rss_mib"); json.double(round1(PeakMemory.residentMiB()))
                json.raw("}\n")
                try context.stdout.write(json.bytes)
                try context.stdout.flush()
            }
            }
        }
    }

    /// Weights in the matrices a bfloat16 sampler rounds: the tied embedding and each block's four.
    static func matrixWeights(_ config: GPT2Config) -> Int {
        let C = config.channels, I = config.innerSize
        return config.vocabSize * C + config.layers * (4 * C * C + 2 * C * I)
    }

    private func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}
