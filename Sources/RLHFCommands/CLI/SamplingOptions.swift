import RLHFModel

/// The sampling flags `generate`, `sample` and `chat` share (--temperature, --top-k, --top-p,
/// --max-tokens, --seed, --weights), parsed one way; each command chooses its own temperature and top-k
/// defaults.
struct SamplingOptions {
    let temperature: Double
    let topK: Int
    let topP: Double
    let maxTokens: Int
    let seed: UInt64
    /// The precision the sampler holds the matrices in (f32 unless asked).
    let weights: SamplingWeights

    static func specs(temperature: Double, topK: Int) -> [OptionSpec] {
        [
            .value("--temperature", "T", "divides the logits; 0 is greedy (default \(temperature))"),
            .value("--top-p", "P", "nucleus sampling: keep the most probable tokens holding P of the probability (default 1: off)"),
            .value("--top-k", "K", "keep only the K most probable tokens (default \(topK)\(topK == 0 ? ": off" : ""))"),
            .value("--max-tokens", "N", "new tokens at most, end-of-text included (default 64)"),
            .value("--seed", "S", "random seed (default 0)"),
            .value("--weights", "f32|bf16", "hold the weight matrices in bfloat16 (bf16): about twice the tokens/s where "
                   + "memory is the limit (batch 1), samples of the model with its matrices rounded (default f32: exact)"),
        ]
    }

    init(_ arguments: ParsedArguments, temperature: Double, topK: Int) throws {
        self.temperature = try arguments.double("--temperature", range: 0...1000) ?? temperature
        topP = try arguments.double("--top-p", range: 1e-9...1) ?? 1
        self.topK = try arguments.int("--top-k", range: 0...Int(Int32.max)) ?? topK
        maxTokens = try arguments.int("--max-tokens", range: 1...1_000_000) ?? 64
        seed = try arguments.uint64("--seed") ?? 0
        weights = try arguments.string("--weights").map(Self.weights) ?? .float32
    }

    /// A `--weights` value (`rlhf bench sample` reads its repeated flag through this too).
    static func weights(_ text: String) throws -> SamplingWeights {
        guard let weights = SamplingWeights(flag: text) else { throw UsageError("--weights wants f32 or bf16, got '\(text)'") }
        return weights
    }

    /// The sampler's settings, with at most `maxNewTokens` new tokens (default: --max-tokens).
    func settings(maxNewTokens: Int? = nil) -> SamplingSettings {
        SamplingSettings(temperature: Float(temperature), topK: topK, topP: Float(topP), maxNewTokens: maxNewTokens ?? maxTokens)
    }
}
