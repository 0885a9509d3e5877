import RLHFModel
import RLHFTokenizer

/// One completion sampled from the policy for a stored prompt.
public struct PolicySample: Equatable, Sendable {
    public let promptID: Int64
    /// 0 ..< samples: which of the prompt's K samples this is (stored with its provenance).
    public let sampleIndex: Int
    /// The completion's text: the sampled tokens without the end-of-text.
    public let text: String
    /// Sampled ids, the end-of-text included when `stopped`.
    public let tokens: [Int]
    /// False when max new tokens ran out before end-of-text.
    public let stopped: Bool
    public let promptTokensDropped: Int
}

/// Completions for stored prompts, through the KV-cache sampler: the prompt encoded on its own exactly
/// as the serialiser encodes it (so what is sampled after it is what SFT trained and what the reward
/// model will score), end-of-text as the stop token. Each (prompt id, sample index) draws from its own
/// random stream of the seed, so a text depends on the model, the prompt, the settings, the seed and
/// its index only: not on the batch, on which other prompts were asked for, or on the thread count.
public struct PolicySampler {
    public let sampler: Sampler
    public let tokenizer: BPETokenizer
    public let endOfText: Int

    /// `weights`: the precision the sampler holds the matrices in (SamplingWeights; float32 is exact).
    public init(model: GPT2, tokenizer: BPETokenizer, weights: SamplingWeights = .float32) throws {
        guard let eos = tokenizer.vocabulary.endOfTextID else { throw SerializerError.noEndOfText }
        guard tokenizer.vocabulary.count <= model.config.vocabSize else {
            throw ModelError.invalidConfig("the tokenizer has \(tokenizer.vocabulary.count) tokens, more than the model's vocabulary (\(model.config.vocabSize)); they do not belong together")
        }
        sampler = Sampler(model: model, weights: weights)
        self.tokenizer = tokenizer
        endOfText = eos
    }

    /// The stream of sample `index` of prompt `promptID` (up to 65,536 samples per prompt).
    public static func stream(promptID: Int64, sampleIndex: Int) -> UInt64 {
        UInt64(bitPattern: promptID) << 16 | UInt64(sampleIndex & 0xFFFF)
    }

    /// Samples `samples` completions of every prompt, `batchSize` sequences at a time, handing each
    /// batch's results to `body` in prompt order, then sample order.
    public func sample(prompts: [(id: Int64, text: String)], samples: Int, settings: SamplingSettings, seed: UInt64,
                       batchSize: Int = 32, _ body: ([PolicySample]) throws -> Void) throws {
        precondition(samples >= 1 && samples <= 1 << 16, "1...65536 samples per prompt")
        var settings = settings
        settings.stopTokens = [endOfText]
        var encoded: [Int64: [Int]] = [:]
        var jobs: [(promptID: Int64, index: Int)] = []
        for prompt in prompts {
            // An empty prompt samples after end-of-text, GPT-2's "no context".
            let ids = tokenizer.encodeOrdinary(prompt.text)
            encoded[prompt.id] = ids.isEmpty ? [endOfText] : ids
            for k in 0..<samples { jobs.append((prompt.id, k)) }
        }
        for start in stride(from: 0, to: jobs.count, by: max(1, batchSize)) {
            let batch = jobs[start..<min(jobs.count, start + batchSize)]
            let requests = batch.map {
                SamplingRequest(prompt: encoded[$0.promptID] ?? [endOfText], seed: seed,
                                stream: Self.stream(promptID: $0.promptID, sampleIndex: $0.index))
            }
            let sequences = try sampler.sample(requests, settings: settings)
            try body(try zip(batch, sequences).map { job, sequence in
                let body = sequence.stopped ? Array(sequence.tokens.dropLast()) : sequence.tokens
                return PolicySample(promptID: job.promptID, sampleIndex: job.index, text: try text(body),
                                    tokens: sequence.tokens, stopped: sequence.stopped,
                                    promptTokensDropped: sequence.promptTokensDropped)
            })
        }
    }

    /// The text of sampled ids. A sample cut by max new tokens can end inside a character: those last
    /// bytes are dropped rather than stored as U+FFFD.
    public func text(_ ids: [Int]) throws -> String {
        var bytes = try tokenizer.decodeBytes(ids)
        // Back off at most 3 continuation bytes and their lead byte when the tail is incomplete.
        var lead = bytes.count - 1
        while lead >= 0 && lead >= bytes.count - 4 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        if lead >= 0 && bytes[lead] >= 0xC0 {
            let needed = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : 2
            if bytes.count - lead < needed { bytes.removeSubrange(lead...) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
