/// How to sample. Defaults: plain sampling at temperature 1 (what PPO needs: no truncation, so the
/// sampled tokens follow the policy whose log-probabilities are reported), 64 new tokens.
public struct SamplingSettings: Codable, Equatable, Sendable {
    /// Divides the logits; 0 = greedy. Must be >= 0.
    public var temperature: Float
    /// Keep only the k most probable tokens; 0 = no limit (Hugging Face generate's default is 50).
    public var topK: Int
    /// Nucleus sampling (Holtzman et al. 2020): keep the smallest set of most probable tokens holding at
    /// least this share of the probability; 1 = no limit. In (0, 1].
    public var topP: Float
    /// New tokens per sequence at most (the stop token counts); 1 ..< context length.
    public var maxNewTokens: Int
    /// A sequence ends after sampling one of these. nil: the model's end-of-text (config.json
    /// eos_token_id), when it has one; callers holding a tokenizer should pass its end-of-text id.
    public var stopTokens: [Int]?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, maxNewTokens: Int = 64, stopTokens: [Int]? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
    }

    func validate(_ config: GPT2Config) throws(ModelError) {
        if !(temperature >= 0) || !temperature.isFinite {
            throw .invalidBatch("temperature must be a number >= 0 (0 = greedy), got \(temperature)")
        }
        if topK < 0 { throw .invalidBatch("top-k must be >= 0 (0 = no limit), got \(topK)") }
        if !(topP > 0 && topP <= 1) { throw .invalidBatch("top-p must be in (0, 1] (1 = no limit), got \(topP)") }
        if maxNewTokens < 1 || maxNewTokens >= config.contextLength {
            throw .invalidBatch("max new tokens must be in 1..<\(config.contextLength) (the context leaves room for at "
                                + "least one prompt token), got \(maxNewTokens)")
        }
    }
}

/// One sequence to sample: its prompt ids and the random stream it draws from.
public struct SamplingRequest: Equatable, Sendable {
    public var prompt: [Int]
    public var seed: UInt64
    public var stream: UInt64

    public init(prompt: [Int], seed: UInt64, stream: UInt64) {
        self.prompt = prompt
        self.seed = seed
        self.stream = stream
    }
}

/// One sampled completion.
public struct SampledSequence: Equatable, Sendable {
    /// The prompt as the model saw it (after the left cut).
    public let prompt: [Int]
    public let promptTokensDropped: Int
    /// The sampled ids; the last is the stop token when `stopped`.
    public let tokens: [Int]
    /// Per sampled token, log_softmax(logits / temperature) at it, before top-k/top-p (temperature 0:
    /// at temperature 1).
    public let logProbabilities: [Float]
    /// True when a stop token ended the sequence, false when `maxNewTokens` ran out first.
    public let stopped: Bool

    /// prompt + tokens.
    public var sequence: [Int] { prompt + tokens }
    /// Index in `sequence` of its last token: the stop token when `stopped` (where a reward model or
    /// value head reads, as SerializedExample.endIndex).
    public var endIndex: Int { prompt.count + tokens.count - 1 }
}
