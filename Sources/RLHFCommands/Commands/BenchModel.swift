import Dispatch
import Foundation
import RLHFCore
import RLHFModel

/// `rlhf bench model`: training throughput of the model core beside the machine's sgemm rate, in the
/// shapes of the PyTorch anchor (../shared/bench/torch_gpt2.py --what train): batch 8, full context,
/// forward + backward + AdamW per step.
struct BenchModelCommand: Command {
    static let name = "bench model"
    static let abstract = "Measure training tokens/s of the GPT-2 core (tiny, small, gpt2)"
    static let usage = "rlhf bench model [--config tiny|small|gpt2 ...] [--iters N] [--batch N] [--threads N] [--profile] [--kernels]"
    static let discussion = """
    Prints one JSON line per config: tokens/s (median, min, max over the timed steps after one warm-up
    step), model FLOPs per token (6N + 12 L C T, as the PyTorch anchor counts them), the achieved GFLOP/s,
    the sgemm rate measured in the same run just before the config (n = 1024, split over the threads as
    the model's products are) and the fraction of it reached, and the peak resident memory of the
    config's run. Compare with the PyTorch anchor run beside it (../shared/bench/torch_gpt2.py --what
    train), not with figures from another time: the machine is shared.
    """
    static let options: [OptionSpec] = [
        .repeating("--config", "NAME", "tiny, small or gpt2 (repeatable; default all three)"),
        .value("--iters", "N", "timed steps per config (default 5; 3 for gpt2)"),
        .value("--batch", "N", "sequences per step (default 8)"),
        .value("--threads", "N", "threads (default: all cores); every product is split over them"),
        .flag("--profile", "also print the time per kernel (stderr)"),
        .flag("--kernels", "also time the element-wise kernels alone (one JSON line each)"),
    ]

    let configs: [String]
    let iterations: Int?
    let batchSize: Int
    let threads: Int?
    let profile: Bool
    let kernels: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        let chosen = try arguments.choices("--config", ["tiny", "small", "gpt2"])
        configs = chosen.isEmpty ? ["tiny", "small", "gpt2"] : chosen
        iterations = try arguments.int("--iters", range: 1...1000)
        batchSize = try arguments.int("--batch", range: 1...1024) ?? 8
        threads = try arguments.int("--threads", range: 1...256)
        profile = arguments.flag("--profile")
        kernels = arguments.flag("--kernels")
    }

    func run(_ context: CommandContext) throws {
        if let threads { Parallel.threads = threads }
        if kernels {
            for figure in KernelBenchmark.run() {
                try context.stdout.write("{\"kernel\":\"\(figure.kernel)\",\"threads\":\(Parallel.threads),\"unit\":\"\(figure.unit)\","
                                         + "\"value\":\(JSONWriter.format((figure.value * 10).rounded() / 10))}\n")
            }
        }
        for name in configs {
            guard var config = GPT2Config.named(name) else { continue }
            // The anchor trains every config at its own context (gpt2 at 256), position table included.
            let T = name == "tiny" ? 128 : 256
            config.contextLength = T
            // Measured next to each config, so both figures see the same machine load.
            let sgemm = ComputeInfo.sgemmGFLOPS(M: 1024, N: 1024, K: 1024, repetitions: 20)
            let line = try bench(name: name, config: config, T: T, sgemm: sgemm, context: context)
            try context.stdout.write(line + "\n")
            try context.stdout.flush()
        }
    }

    private func bench(name: String, config: GPT2Config, T: Int, sgemm: Double, context: CommandContext) throws -> String {
        PeakMemory.reset()
        let B = batchSize
        let model = try GPT2(config: config)
        model.initializeWeights(seed: 1)
        let optimizer = AdamW(config: AdamWConfig(), layout: model.layout)
        var random = SeededRandom(seed: 7)
        let tokens = (0..<(B * T)).map { _ in Int32(random.nextInt(below: config.vocabSize)) }
        let targets = (0..<(B * T)).map { _ in Int32(random.nextInt(below: config.vocabSize)) }
        let micro = LanguageModelMicroBatch(batch: TokenBatch(batchSize: B, sequenceLength: T, tokens: tokens),
                                            targets: targets)
        func step() throws {
            try model.accumulateCrossEntropy([micro])
            let norm = GradientClipping.globalNorm(model.gradients!)
            optimizer.update(parameters: model.parameters, gradients: model.gradients!, learningRate: 1e-4,
                             gradientScale: GradientClipping.scale(norm: norm, maxNorm: 1))
        }
        try step()   // warm-up: allocations, first-touch of pages
        Profile.enabled = profile
        Profile.reset()
        var rates: [Double] = []
        for _ in 0..<(iterations ?? (name == "gpt2" ? 3 : 5)) {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            rates.append(Double(B * T) / seconds)
        }
        Profile.enabled = false
        if profile { BenchProfile.say(name, over: "\(rates.count) steps", context) }
        rates.sort()
        let median = rates[rates.count / 2]
        // FLOPs per token as the anchor counts them: 6 N (N without position embeddings) + 12 L C T.
        let N = model.layout.trunkCount - config.contextLength * config.channels
        let flopsPerToken = 6 * N + 12 * config.layers * config.channels * T
        let gflops = median * Double(flopsPerToken) / 1e9
        var json = JSONWriter()
        json.raw("{")
        json.key("config", first: true); json.string(name)
        json.key("what"); json.string("train")
        json.key("threads"); json.int(Parallel.threads)
        json.key("batch"); json.int(B)
        json.key("seq"); json.int(T)
        json.key("blas_core"); json.string(ComputeInfo.blasCore)
        json.key("flops_per_token"); json.int(flopsPerToken)
        json.key("unit"); json.string("tokens/s")
        json.key("median"); json.double(median.rounded())
        json.key("min"); json.double(rates[0].rounded())
        json.key("max"); json.double(rates[rates.count - 1].rounded())
        json.key("gflops"); json.double((gflops * 10).rounded() / 10)
        json.key("sgemm_gflops"); json.double((sgemm * 10).rounded() / 10)
        json.key("sgemm_fraction"); json.double((gflops / sgemm * 1000).rounded() / 1000)
        json.key("peak_rss_mib"); json.double((PeakMemory.residentMiB() * 10).rounded() / 10)
        json.raw("}")
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

/// Peak resident memory of a phase of this process: Linux lets a process reset its high-water mark
/// (writing 5 to /proc/self/clear_refs), so each config reports its own peak, as the anchor's separate
/// processes do.
enum PeakMemory {
    static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func residentMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
                return kib / 1024
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
