import RLHFCore
import RLHFModel

/// Normalising a trained reward model on samples of the policy it will judge (lm-human-preferences,
/// Ziegler et al. 2019: after training, rewards of the SFT policy's own completions are set to mean 0
/// and standard deviation 1, so PPO's reward scale, KL coefficient and value targets mean the same
/// thing for every reward model).
public struct RewardNormalization: Sendable, Equatable {
    public var samples: Int
    public var seed: UInt64
    public var temperature: Float
    public var maxNewTokens: Int
    /// Before: the trained head's rewards on the samples.
    public var rawMean: Double
    public var rawStandardDeviation: Double
    /// r -> gain * r + bias.
    public var gain: Double
    public var bias: Double
    /// After, measured on the normalised model in memory (0 and 1 up to float rounding).
    public var mean: Double
    public var standardDeviation: Double
    /// Each sample as the reward model reads it: prompt ids, sampled ids, end-of-text last.
    public var sequences: [[Int]]

    /// Samples `samples` completions from `policy` (prompt k drawn with replacement from `prompts` by
    /// the seed; sample k on its own random stream k, so it does not depend on the batch), scores them
    /// with `model`, and rescales `model`'s head so they get mean 0 and standard deviation 1.
    public static func normalize(model: GPT2, policy: GPT2, prompts: [[Int]], samples: Int, seed: UInt64,
                                 temperature: Float, maxNewTokens: Int, endOfText: Int, maxLength: Int,
                                 batchSize: Int) throws -> RewardNormalization {
        let usable = prompts.filter { !$0.isEmpty }
        guard !usable.isEmpty else { throw TrainingError.model("no train prompts to sample normalisation completions for") }
        var random = SeededRandom(seed: seed)
        let picks = (0..<samples).map { _ in random.nextInt(below: usable.count) }
        let sampler = Sampler(model: policy)
        // Room for the prompts: the longest drawn prompt fits whole when it leaves a quarter of the
        // context or more; longer ones are cut from the left (the sampler's rule).
        let context = policy.config.contextLength
        let longest = picks.map { usable[$0].count }.max() ?? 0
        let room = max(context / 4, context - longest)
        let settings = SamplingSettings(temperature: temperature, topK: 0, topP: 1,
                                        maxNewTokens: max(1, min(maxNewTokens, room, context - 1)), stopTokens: [endOfText])
        var sequences: [[Int]] = []
        for start in stride(from: 0, to: samples, by: max(1, batchSize)) {
            let requests = (start..<min(samples, start + batchSize)).map {
                SamplingRequest(prompt: usable[picks[$0]], seed: seed, stream: UInt64($0))
            }
            for sampled in try sampler.sample(requests, settings: settings) {
                // A sample that ran out of room gets end-of-text, as every scored completion does.
                let completion = sampled.stopped ? sampled.tokens : sampled.tokens + [endOfText]
                guard let example = Serializer.combine(sampled.prompt, completion, maxLength: maxLength, purpose: .scoring) else {
                    preconditionFailure("scoring never leaves a sequence out")
                }
                sequences.append(example.tokens)
            }
        }
        let raw = try score(model, sequences, batchSize: batchSize)
        let (rawMean, rawSD) = RewardHead.moments(raw)
        let (gain, bias) = try RewardHead.normalization(mean: rawMean, standardDeviation: rawSD)
        RewardHead.applyAffine(model, gain: gain, bias: bias)
        let (mean, sd) = RewardHead.moments(try score(model, sequences, batchSize: batchSize))
        return RewardNormalization(samples: samples, seed: seed, temperature: temperature, maxNewTokens: settings.maxNewTokens,
                                   rawMean: rawMean, rawStandardDeviation: rawSD, gain: gain, bias: bias, mean: mean,
                                   standardDeviation: sd, sequences: sequences)
    }

    /// Rewards of sequences that end with end-of-text (read at their last index).
    public static func score(_ model: GPT2, _ sequences: [[Int]], batchSize: Int) throws -> [Double] {
        try RewardForward.rewards(model: model, sequences: sequences, readPositions: sequences.map { $0.count - 1 },
                                  microBatch: batchSize).map(Double.init)
    }
}
