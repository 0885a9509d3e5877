import Foundation
import RLHFCore

/// The reward trainer's configuration, as TRL's `RewardConfig`: the shared `TrainingArguments` with
/// reward-model defaults, plus the reward model's own keys. Flat JSON with TRL's keys where TRL has
/// one, saved in the run's record and in every checkpoint.
///
/// The unit of a batch is a prompt with all of its judgements (InstructGPT): `per_device_train_batch_size`
/// counts prompts per forward pass, and every distinct completion of those prompts runs once. With
/// one judgement per prompt (HH-RLHF) it is TRL's pairs per batch.
public struct RewardConfig: Codable, Equatable, Sendable {
    public var training: TrainingArguments
    /// Longest sequence in tokens; longer prompts are cut from the left and a judgement whose completion
    /// alone does not fit is left out (counted). nil: the model's context length. TRL: 1024 (filters).
    public var maxLength: Int? = nil
    /// TRL's `center_rewards_coefficient`: adds coef * mean (r_first + r_second)^2. nil (off), as TRL;
    /// TRL recommends 0.01 (Eisenstein et al. 2023).
    public var centerRewardsCoefficient: Double? = nil
    /// "leave-out" (default: Bradley-Terry on the judgements with a winner) or "davidson" (ties fitted
    /// with Davidson's tie parameter).
    public var ties: RewardObjective.Ties = .leaveOut
    /// Llama 2's margin loss with the label strength's margin (`MarginTable`). false, as TRL without a
    /// margin column.
    public var useMargin: Bool = false
    /// Davidson only: plain gradient steps on theta = log nu (the loss is convex in theta). 0.1: a step
    /// of at most 0.1 in theta, so it settles in tens of steps and jitters by a few hundredths.
    public var tieLearningRate: Double = 0.1
    /// Evaluations without a lower validation loss before the run stops (transformers'
    /// `EarlyStoppingCallback` `early_stopping_patience`). 1.
    public var earlyStoppingPatience: Int = 1
    /// Completions sampled from the `--init` policy, one per train prompt drawn with replacement, to set
    /// the reward's gain and bias to mean 0 and standard deviation 1 (lm-human-preferences: 256). 0 skips it.
    public var normalizationSamples: Int = 256
    /// Seed of those samples (and of the prompts drawn); nil: `seed`.
    public var normalizationSeed: UInt64? = nil
    /// Sampling temperature for them: 1, the policy's own distribution.
    public var normalizationTemperature: Float = 1
    /// New tokens at most per sample (a sample that does not stop gets end-of-text appended, as the
    /// serialiser does for every scored completion). 64.
    public var normalizationMaxNewTokens: Int = 64

    public init(training: TrainingArguments = RewardConfig.defaultTraining) {
        self.training = training
    }

    /// TrainingArguments with the reward model's defaults, where they differ from the shared ones:
    /// - learning_rate 1e-4: TRL's RewardConfig (OpenRLHF 9e-6 and InstructGPT 9e-6 are for billions
    ///   of parameters; the shared 1e-3 is for training from scratch);
    /// - per_device_train_batch_size 8: TRL's default (in pairs; here prompts);
    /// - num_train_epochs 3 with evaluation after every epoch and early stopping on the validation loss
    ///   (eval_steps null = once per epoch): TRL trains 3 epochs, InstructGPT, OpenRLHF and
    ///   DeepSpeed-Chat one, because a reward model overfits after one pass over large data; early
    ///   stopping decides here instead;
    /// - weight_decay 0: TRL and OpenRLHF (the shared 0.1 is for pretraining).
    public static let defaultTraining: TrainingArguments = {
        var t = TrainingArguments()
        t.learningRate = 1e-4
        t.perDeviceTrainBatchSize = 8
        t.numTrainEpochs = 3
        t.evalSteps = nil
        t.weightDecay = 0
        return t
    }()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxLength = "max_length"
        case centerRewardsCoefficient = "center_rewards_coefficient"
        case ties
        case useMargin = "use_margin"
        case tieLearningRate = "tie_learning_rate"
        case earlyStoppingPatience = "early_stopping_patience"
        case normalizationSamples = "normalization_samples"
        case normalizationSeed = "normalization_seed"
        case normalizationTemperature = "normalization_temperature"
        case normalizationMaxNewTokens = "normalization_max_new_tokens"
    }

    public init(from decoder: Decoder) throws {
        training = try TrainingArguments(from: decoder)
        // The shared decoder fills missing keys with the shared defaults; a key the file leaves out gets
        // the reward model's default instead.
        let shared = try decoder.container(keyedBy: TrainingArguments.CodingKeys.self)
        let d = RewardConfig.defaultTraining
        if !shared.contains(.learningRate) { training.learningRate = d.learningRate }
        if !shared.contains(.perDeviceTrainBatchSize) { training.perDeviceTrainBatchSize = d.perDeviceTrainBatchSize }
        if !shared.contains(.numTrainEpochs) { training.numTrainEpochs = d.numTrainEpochs }
        if !shared.contains(.evalSteps) { training.evalSteps = d.evalSteps }
        if !shared.contains(.weightDecay) { training.weightDecay = d.weightDecay }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let o = RewardConfig()
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        centerRewardsCoefficient = try c.decodeIfPresent(Double.self, forKey: .centerRewardsCoefficient)
        ties = try c.decodeIfPresent(RewardObjective.Ties.self, forKey: .ties) ?? o.ties
        useMargin = try c.decodeIfPresent(Bool.self, forKey: .useMargin) ?? o.useMargin
        tieLearningRate = try c.decodeIfPresent(Double.self, forKey: .tieLearningRate) ?? o.tieLearningRate
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience) ?? o.earlyStoppingPatience
        normalizationSamples = try c.decodeIfPresent(Int.self, forKey: .normalizationSamples) ?? o.normalizationSamples
        normalizationSeed = try c.decodeIfPresent(UInt64.self, forKey: .normalizationSeed)
        normalizationTemperature = try c.decodeIfPresent(Float.self, forKey: .normalizationTemperature) ?? o.normalizationTemperature
        normalizationMaxNewTokens = try c.decodeIfPresent(Int.self, forKey: .normalizationMaxNewTokens) ?? o.normalizationMaxNewTokens
    }

    public func encode(to encoder: Encoder) throws {
        try training.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(maxLength, forKey: .maxLength)
        try c.encode(centerRewardsCoefficient, forKey: .centerRewardsCoefficient)
        try c.encode(ties, forKey: .ties)
        try c.encode(useMargin, forKey: .useMargin)
        try c.encode(tieLearningRate, forKey: .tieLearningRate)
        try c.encode(earlyStoppingPatience, forKey: .earlyStoppingPatience)
        try c.encode(normalizationSamples, forKey: .normalizationSamples)
        try c.encode(normalizationSeed, forKey: .normalizationSeed)
        try c.encode(normalizationTemperature, forKey: .normalizationTemperature)
        try c.encode(normalizationMaxNewTokens, forKey: .normalizationMaxNewTokens)
    }

    public static let keys: [String] = TrainingArguments.CodingKeys.allCases.map(\.rawValue) + CodingKeys.allCases.map(\.rawValue)

    public var objective: RewardObjective {
        RewardObjective(ties: ties, useMargin: useMargin, centerRewardsCoefficient: centerRewardsCoefficient)
    }

    public func validate() throws(TrainingError) {
        try training.validate()
        func bad(_ key: CodingKeys, _ why: String) -> TrainingError { .invalidHyperparameter(key.rawValue, why) }
        if let maxLength, maxLength < 2 { throw bad(.maxLength, "must be at least 2 (a token and end-of-text)") }
        if let coef = centerRewardsCoefficient, !(coef >= 0) || !coef.isFinite { throw bad(.centerRewardsCoefficient, "must be a non-negative number") }
        if !(tieLearningRate > 0) || !tieLearningRate.isFinite { throw bad(.tieLearningRate, "must be a positive number") }
        if earlyStoppingPatience < 1 { throw bad(.earlyStoppingPatience, "must be at least 1") }
        if normalizationSamples < 0 { throw bad(.normalizationSamples, "must not be negative (0 skips normalisation)") }
        if normalizationSamples == 1 { throw bad(.normalizationSamples, "must be 0 or at least 2 (a standard deviation needs two samples)") }
        if !(normalizationTemperature > 0) || !normalizationTemperature.isFinite { throw bad(.normalizationTemperature, "must be a positive number") }
        if normalizationMaxNewTokens < 1 { throw bad(.normalizationMaxNewTokens, "must be at least 1") }
    }

    public func sequenceLength(contextLength: Int) throws(TrainingError) -> Int {
        try MaxLength.sequenceLength(maxLength, key: CodingKeys.maxLength.rawValue, contextLength: contextLength)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws(TrainingError) -> RewardConfig {
        try HyperparameterFile.decode(RewardConfig.self, bytes: bytes, keys: keys, source: source)
    }
}
