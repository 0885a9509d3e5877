import Foundation
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
    /// The last call's decoder (cache and scratch), reused by the next call it is large enough for.
    private var spare: IncrementalDecoder?
    private let spareLock = NSLock()

    /// The precision the weights are held in for decoding (`SamplingWeights`: float32 is the model exactly).
    public var precision: SamplingWeights { weights.precision }

    public init(model: GPT2, weights precision: SamplingWeights = .float32) {
        self.model = model
        weights = DecodeWeights(model, precision: precision)
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
        // Prompts go through in calls of at most 1,024 rows (bounded scratch for long prompts).
        let decoder = takeDecoder(sequences: B, positions: S, rows: max(B, min(promptTokens, 1024)))
        defer { keep(decoder) }
        Profile.measure("sample.prefill") { decoder.prefill(prompts: prompts) }

        let V = config.vocabSize
        var randoms = requests.map { SeededRandom(seed: $0.seed, stream: $0.stream) }
        var tokens = [[Int]](repeating: [], count: B)
        var logProbabilities = [[Float]](repeating: [], count: B)
        var stopped = [Bool](repeating: false, count: B)
        var rows = Array(0..<B)          // row r of the decoder's logits belongs to sequence rows[r]
        let scratch = FloatBuffer(count: B * V)
        while !rows.isEmpty {
            let R = rows.count
            let choices = Profile.measure("sample.choose") {
                choose(logits: decoder.logits, rows: rows, V: V, settings: settings, randoms: &randoms, scratch: scratch)
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

    /// The spare decoder when it fits, else a new one (a concurrent call simply makes its own).
    private func takeDecoder(sequences: Int, positions: Int, rows: Int) -> IncrementalDecoder {
        spareLock.lock()
        defer { spareLock.unlock() }
        if let decoder = spare, decoder.fits(sequences: sequences, positions: positions, rows: rows) {
            spare = nil
            return decoder
        }
        return IncrementalDecoder(model: model, weights: weights, sequences: sequences, positions: positions, rows: rows)
    }

    /// Keeps `decoder`, the one just used, for the next call (the Sampler holds its memory until it goes).
    private func keep(_ decoder: IncrementalDecoder) {
        spareLock.lock()
        defer { spareLock.unlock() }
        spare = decoder
    }

    /// The next token of every row (row r: sequence rows[r], its own random stream), rows in parallel.
    private func choose(logits: UnsafePointer<Float>, rows: [Int], V: Int, settings: SamplingSettings,
                        randoms: inout [SeededRandom], scratch: FloatBuffer) -> [(id: Int, logProbability: Float)] {
        var choices = [(id: Int, logProbability: Float)](repeating: (0, 0), count: rows.count)
        randoms.withUnsafeMutableBufferPointer { random in
            choices.withUnsafeMutableBufferPointer { chosen in
                Parallel.forRanges(rows.count, minimum: max(1, 16_384 / V)) { range in
                    var candidates: [(probability: Float, id: Int)] = []
                    for r in range {
                        chosen[r] = TokenChoice.choose(logits: logits + r * V, row: scratch.pointer + r * V, V: V,
                                                       settings: settings, random: &random[rows[r]],
                                                       candidates: &candidates)
                    }
                }
            }
        }
        return choices
    }
}
