import Foundation
import RLHFModel

/// The optimisation settings every trainer shares, named as Hugging Face's `TrainingArguments` names
/// them (TRL's `SFTConfig` and `RewardConfig` inherit those), so a `--hparams` file uses TRL's keys:
/// `{"learning_rate": 3e-4, "per_device_train_batch_size": 32}`. Keys left out keep their defaults.
///
/// Defaults are chosen for what this program trains: GPT-2 shapes from 1M to 124M parameters on one
/// CPU, often from scratch. Where they differ from transformers' (tuned for fine-tuning billion-parameter
/// models), the field says why.
public struct TrainingArguments: Codable, Equatable, Sendable {
    /// Peak learning rate (after warm-up). 1e-3: nanoGPT's rate for its small from-scratch models
    /// (shakespeare-char, 10M parameters); transformers' 5e-5 and TRL's 2e-5 are for fine-tuning large
    /// pretrained models and barely move a tiny model in a few hundred steps. Fine-tuning GPT-2 124M
    /// wants about 1e-4 or less.
    public var learningRate: Float = 1e-3
    /// Sequences per micro-batch (one forward and backward). 16; transformers' default is 8.
    public var perDeviceTrainBatchSize: Int = 16
    /// Micro-batches summed into one optimizer step (the loss is normalised over all of their counted
    /// targets, so 2 x 8 equals 1 x 16 exactly). 1, transformers' default.
    public var gradientAccumulationSteps: Int = 1
    /// Optimizer steps in the run; nil derives them from `numTrainEpochs`. transformers: -1 (= unset).
    public var maxSteps: Int? = nil
    /// Passes over the training examples when `maxSteps` is nil. 1 (transformers: 3); a partial epoch
    /// such as 0.5 is allowed.
    public var numTrainEpochs: Double = 1
    /// Warm-up as a fraction of the steps, linear from lr / warmup to lr. 0.05: a short warm-up keeps
    /// AdamW's first updates (beta2 0.95, moments still empty) from overshooting; transformers: 0.
    public var warmupRatio: Double = 0.05
    /// Warm-up in steps; overrides `warmupRatio` when set. transformers: 0 (= use the ratio).
    public var warmupSteps: Int? = nil
    /// The cosine schedule ends at learningRate * minLrRate (transformers' `cosine_with_min_lr` name).
    /// 0.1, as nanoGPT's min_lr = lr / 10. 1 gives a constant rate after warm-up.
    public var minLrRate: Float = 0.1
    /// Clip the global gradient norm to this (torch's clip_grad_norm_). 1.0, transformers' default.
    public var maxGradNorm: Float = 1.0
    /// Decoupled AdamW weight decay on matrices and embeddings (not biases or LayerNorm gains, nanoGPT's
    /// grouping). 0.1 as GPT-3 and nanoGPT; transformers: 0.
    public var weightDecay: Float = 0.1
    /// AdamW beta1. 0.9, torch's and transformers' default.
    public var adamBeta1: Float = 0.9
    /// AdamW beta2. 0.95 as GPT-3, nanoGPT and llm.c; transformers' 0.999 adapts too slowly for short runs.
    public var adamBeta2: Float = 0.95
    /// AdamW epsilon. 1e-8, torch's default.
    public var adamEpsilon: Float = 1e-8
    /// Steps between progress lines when the output is not a terminal. 10, TRL's default. Metrics are
    /// recorded every step regardless.
    public var loggingSteps: Int = 10
    /// Steps between evaluations on the validation examples (and at the last step). 100; nil or 0 never
    /// evaluates during the run.
    public var evalSteps: Int? = 100
    /// Steps between checkpoints (and the final one, always). 500, transformers' default.
    public var saveSteps: Int = 500
    /// Sequences per evaluation forward pass. 64 (transformers: 8): evaluation has no backward, so a
    /// larger batch is cheap and faster.
    public var perDeviceEvalBatchSize: Int = 64
    /// Seeds the initial weights (when training from scratch) and the order of examples. 42, as
    /// transformers.
    public var seed: UInt64 = 42

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case learningRate = "learning_rate"
        case perDeviceTrainBatchSize = "per_device_train_batch_size"
        case gradientAccumulationSteps = "gradient_accumulation_steps"
        case maxSteps = "max_steps"
        case numTrainEpochs = "num_train_epochs"
        case warmupRatio = "warmup_ratio"
        case warmupSteps = "warmup_steps"
        case minLrRate = "min_lr_rate"
        case maxGradNorm = "max_grad_norm"
        case weightDecay = "weight_decay"
        case adamBeta1 = "adam_beta1"
        case adamBeta2 = "adam_beta2"
        case adamEpsilon = "adam_epsilon"
        case loggingSteps = "logging_steps"
        case evalSteps = "eval_steps"
        case saveSteps = "save_steps"
        case perDeviceEvalBatchSize = "per_device_eval_batch_size"
        case seed
    }

    /// Missing keys keep their defaults (a hyperparameter file names only what it changes).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingArguments()
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        perDeviceTrainBatchSize = try c.decodeIfPresent(Int.self, forKey: .perDeviceTrainBatchSize) ?? d.perDeviceTrainBatchSize
        gradientAccumulationSteps = try c.decodeIfPresent(Int.self, forKey: .gradientAccumulationSteps) ?? d.gradientAccumulationSteps
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps) ?? d.maxSteps
        numTrainEpochs = try c.decodeIfPresent(Double.self, forKey: .numTrainEpochs) ?? d.numTrainEpochs
        warmupRatio = try c.decodeIfPresent(Double.self, forKey: .warmupRatio) ?? d.warmupRatio
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        minLrRate = try c.decodeIfPresent(Float.self, forKey: .minLrRate) ?? d.minLrRate
        maxGradNorm = try c.decodeIfPresent(Float.self, forKey: .maxGradNorm) ?? d.maxGradNorm
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
        adamBeta1 = try c.decodeIfPresent(Float.self, forKey: .adamBeta1) ?? d.adamBeta1
        adamBeta2 = try c.decodeIfPresent(Float.self, forKey: .adamBeta2) ?? d.adamBeta2
        adamEpsilon = try c.decodeIfPresent(Float.self, forKey: .adamEpsilon) ?? d.adamEpsilon
        loggingSteps = try c.decodeIfPresent(Int.self, forKey: .loggingSteps) ?? d.loggingSteps
        evalSteps = c.contains(.evalSteps) ? try c.decodeIfPresent(Int.self, forKey: .evalSteps) : d.evalSteps
        saveSteps = try c.decodeIfPresent(Int.self, forKey: .saveSteps) ?? d.saveSteps
        perDeviceEvalBatchSize = try c.decodeIfPresent(Int.self, forKey: .perDeviceEvalBatchSize) ?? d.perDeviceEvalBatchSize
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    /// Every key, nulls included, so a saved configuration says exactly what ran.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(perDeviceTrainBatchSize, forKey: .perDeviceTrainBatchSize)
        try c.encode(gradientAccumulationSteps, forKey: .gradientAccumulationSteps)
        try c.encode(maxSteps, forKey: .maxSteps)
        try c.encode(numTrainEpochs, forKey: .numTrainEpochs)
        try c.encode(warmupRatio, forKey: .warmupRatio)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(minLrRate, forKey: .minLrRate)
        try c.encode(maxGradNorm, forKey: .maxGradNorm)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(adamBeta1, forKey: .adamBeta1)
        try c.encode(adamBeta2, forKey: .adamBeta2)
        try c.encode(adamEpsilon, forKey: .adamEpsilon)
        try c.encode(loggingSteps, forKey: .loggingSteps)
        try c.encode(evalSteps, forKey: .evalSteps)
        try c.encode(saveSteps, forKey: .saveSteps)
        try c.encode(perDeviceEvalBatchSize, forKey: .perDeviceEvalBatchSize)
        try c.encode(seed, forKey: .seed)
    }

    /// Names the first setting that cannot work.
    public func validate() throws(TrainingError) {
        func bad(_ key: CodingKeys, _ why: String) -> TrainingError { .invalidHyperparameter(key.rawValue, why) }
        if !(learningRate > 0) || !learningRate.isFinite { throw bad(.learningRate, "must be a positive number") }
        if perDeviceTrainBatchSize < 1 { throw bad(.perDeviceTrainBatchSize, "must be at least 1") }
        if gradientAccumulationSteps < 1 { throw bad(.gradientAccumulationSteps, "must be at least 1") }
        if let maxSteps, maxSteps < 1 { throw bad(.maxSteps, "must be at least 1 (or null to use num_train_epochs)") }
        if !(numTrainEpochs > 0) || !numTrainEpochs.isFinite { throw bad(.numTrainEpochs, "must be a positive number") }
        if !(0...1).contains(warmupRatio) { throw bad(.warmupRatio, "must be between 0 and 1") }
        if let warmupSteps, warmupSteps < 0 { throw bad(.warmupSteps, "must not be negative") }
        if !(0...1).contains(minLrRate) { throw bad(.minLrRate, "must be between 0 and 1") }
        if !(maxGradNorm > 0) { throw bad(.maxGradNorm, "must be positive") }
        if !(weightDecay >= 0) || !weightDecay.isFinite { throw bad(.weightDecay, "must not be negative") }
        if !(0..<1).contains(adamBeta1) { throw bad(.adamBeta1, "must be in [0, 1)") }
        if !(0..<1).contains(adamBeta2) { throw bad(.adamBeta2, "must be in [0, 1)") }
        if !(adamEpsilon > 0) { throw bad(.adamEpsilon, "must be positive") }
        if loggingSteps < 1 { throw bad(.loggingSteps, "must be at least 1") }
        if let evalSteps, evalSteps < 0 { throw bad(.evalSteps, "must not be negative") }
        if saveSteps < 1 { throw bad(.saveSteps, "must be at least 1") }
        if perDeviceEvalBatchSize < 1 { throw bad(.perDeviceEvalBatchSize, "must be at least 1") }
    }

    /// Sequences per optimizer step.
    public var sequencesPerStep: Int { perDeviceTrainBatchSize * gradientAccumulationSteps }

    /// `maxSteps`, or the steps that `numTrainEpochs` passes over `exampleCount` examples take.
    public func totalSteps(exampleCount: Int) -> Int {
        if let maxSteps { return maxSteps }
        return max(1, Int((numTrainEpochs * Double(exampleCount) / Double(sequencesPerStep)).rounded(.up)))
    }

    public func schedule(totalSteps: Int) -> LearningRateSchedule {
        let warmup = warmupSteps ?? Int((warmupRatio * Double(totalSteps)).rounded())
        return LearningRateSchedule(peak: learningRate, warmupSteps: min(warmup, totalSteps), totalSteps: totalSteps,
                                    finalRatio: minLrRate)
    }

    public var optimizer: AdamWConfig {
        AdamWConfig(beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay: weightDecay)
    }
}
