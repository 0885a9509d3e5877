import RLHFCore

/// Sampling from a GPT-2 with a key/value cache: what SFT's `rlhf generate`, the reward model's
/// normalisation samples and PPO's rollouts all call.
///
///     let sampler = Sampler(model: model)           // snapshots the weights: make a new one after training steps
///     let settings = SamplingSettings(temperature: 0.7, maxNewTokens: 53, stopTokens: [endOfText])
///     let out = try sampler.sample(prompts: [[464, 3290], [40]], settings: settings, seed: 7)
///     out[0].tokens            // sampled ids, ending with the stop token when `stopped`
///     out[0].logProbabilities  // per sampled token: log_softmax(logits / temperature)[token], before top-k/top-p
///     out[0].endIndex          // index in prompt + tokens of the last token (the stop token when stopped)
///
/// - Prompts of different lengths share one batch; each is cut from the left to leave room for
///   `maxNewTokens` within the context (`promptTokensDropped` says how many went). A prompt must keep
///   at least one token (GPT-2 convention for "no prompt": start with end-of-text).
/// - Determinism: each sequence draws from its own stream, `SeededRandom(seed:stream:)` of its
///   request, and every number it depends on is computed the same way whatever else is in the batch
///   and however many threads run: a sequence's sample depends only on (model, prompt, settings, seed,
///   stream). `sample(prompts:settings:seed:)` gives prompt i stream i; pass `SamplingRequest`s to fix
///   a sequence's stream yourself (e.g. by prompt id and sample index) so it does not depend on where it
///   sits in the batch.
/// - Temperature 0 is greedy (the argmax, lowest id on ties; log-probabilities then at temperature 1).
public final class Sampler {
    public let model: GPT2
    let weights: DecodeWeights

    public init(model: GPT2) {
        self.model = model
        weights = DecodeWeights(model)
    }

    /// Prompt i draws from `SeededRandom(seed: seed, stream: i)`.
    public func sample(prompts: [[Int]], settings: SamplingSettings, seed: UInt64) throws(ModelError) -> [SampledSequence] {
        try sample(prompts.enumerated().map { SamplingRequest(prompt: $0.element, seed: seed, stream: UInt64($0.offset)) },
                   settings: settings)
    }

    public func sample(_ requests: [SamplingRequest], settings: SamplingSettings) throws(ModelError) -> [SampledSequence] {
        let config = model.config
        try settings.validate(config)
        let B = requests.count
        if B == 0 { return [] }
        let room = config.contextLength - settings.maxNewTokens
        var prompts: [[Int]] = []
        for (b, request) in requests.enumerated() {
            if request.prompt.isEmpty {
                throw .invalidBatch("prompt \(b) is empty; start it with the end-of-text token to sample from nothing")
            }
            prompts.append(Array(request.prompt.suffix(room)))
        }
        let stops = Set(settings.stopTokens ?? config.eosTokenId.map { [$0] } ?? [])
        let S = (prompts.map(\.count).max() ?? 0) + settings.maxNewTokens
        for (b, prompt) in prompts.enumerated() {
            for (t, id) in prompt.enumerated() where id < 0 || id >= config.vocabSize {
                throw .invalidBatch("prompt \(b): token id \(id) at position \(t) is outside the vocabulary "
                                    + "(0..<\(config.vocabSize)); check that the tokenizer matches the model")
            }
        }
        let promptTokens = prompts.reduce(0) { $0 + $1.count }
        let decoder = IncrementalDecoder(model: model, weights: weights, sequences: B, positions: S,
                                         rows: max(B, promptTokens))
        Profile.measure("sample.prefill") { decoder.prefill(prompts: prompts) }

        let V = config.vocabSize
        var randoms = requests.map { SeededRandom(seed: $0.seed, stream: $0.stream) }
        var tokens = [[Int]](repeating: [], count: B)
        var logProbabilities = [[Float]](repeating: [], count: B)
        var stopped = [Bool](repeating: false, count: B)
        var rows = Array(0..<B)          // row r of the decoder's logits belongs to sequence rows[r]
        let scratch = FloatBuffer(count: B * V)
        var choices = [(id: Int, logProbability: Float)](repeating: (0, 0), count: B)
        while !rows.isEmpty {
            let R = rows.count
            Profile.measure("sample.choose") {
            randoms.withUnsafeMutableBufferPointer { random in
                choices.withUnsafeMutableBufferPointer { chosen in
                    Parallel.forRanges(R, minimum: max(1, 16_384 / V)) { range in
                        var candidates: [(probability: Float, id: Int)] = []
                        for r in range {
                            chosen[r] = TokenChoice.choose(logits: decoder.logits + r * V, row: scratch.pointer + r * V,
                                                           V: V, settings: settings, random: &random[rows[r]],
                                                           candidates: &candidates)
                        }
                    }
                }
            }
            }
            var next: [Int] = [], nextTokens: [Int] = [], positions: [Int] = []
            for r in 0..<R {
                let b = rows[r], (id, logProbability) = choices[r]
                tokens[b].append(id)
                logProbabilities[b].append(logProbability)
                if stops.contains(id) {
                    stopped[b] = true
                } else if tokens[b].count < settings.maxNewTokens {
                    next.append(b)
                    nextTokens.append(id)
                    positions.append(prompts[b].count + tokens[b].count - 1)
                }
            }
            rows = next
            if !rows.isEmpty {
                decoder.run(tokens: nextTokens, sequences: rows, positions: positions, logitRows: Array(0..<rows.count))
            }
        }
        return (0..<B).map { b in
            SampledSequence(prompt: prompts[b], promptTokensDropped: requests[b].prompt.count - prompts[b].count,
                            tokens: tokens[b], logProbabilities: logProbabilities[b], stopped: stopped[b])
        }
    }
}

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
