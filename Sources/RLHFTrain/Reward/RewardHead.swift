import RLHFModel

/// Exact rewrites of a trained reward head that leave every reward (at every position) as it was, or
/// change it by a chosen affine map.
public enum RewardHead {
    public static func bias(_ model: GPT2) -> Float {
        guard let b = model.layout.tensor(.scalarHeadBias) else { return 0 }
        return model.view(b)[0]
    }

    /// r -> gain * r + bias: the head's weight times gain, its bias gain * b + bias (lm-human-preferences'
    /// reward gain and bias, here folded into the head itself so a reload cannot lose them).
    public static func applyAffine(_ model: GPT2, gain: Double, bias: Double) {
        guard let w = model.layout.tensor(.scalarHeadWeight), let b = model.layout.tensor(.scalarHeadBias) else {
            preconditionFailure("applyAffine needs a scalar head")
        }
        let weights = model.view(w), headBias = model.view(b)
        for i in 0..<weights.count { weights[i] = Float(Double(weights[i]) * gain) }
        headBias[0] = Float(gain * Double(headBias[0]) + bias)
    }

    /// Moves the head's bias into the final LayerNorm's bias, so that a bias-free read-out (transformers'
    /// `GPT2ForSequenceClassification.score`, an `nn.Linear(C, 1, bias=False)`) gives the same reward.
    /// The head reads h = gamma * xhat + beta from ln_f, so r = h . w + b = (h + delta) . w with
    /// delta = b w / |w|^2: adding delta to beta changes no reward at any position. ln_f also feeds the
    /// tied language-model head, whose logits do change; a reward model does not use them.
    public static func foldBiasIntoFinalLayerNorm(_ model: GPT2) throws(RewardHeadError) {
        guard let w = model.layout.tensor(.scalarHeadWeight), let b = model.layout.tensor(.scalarHeadBias),
              let lnfb = model.layout.tensor(.lnfBias) else { preconditionFailure("folding needs a scalar head") }
        let weights = model.view(w), headBias = model.view(b), beta = model.view(lnfb)
        let bias = Double(headBias[0])
        if bias == 0 { return }
        var squaredNorm = 0.0
        for i in 0..<weights.count { squaredNorm += Double(weights[i]) * Double(weights[i]) }
        guard squaredNorm > 0, squaredNorm.isFinite else { throw .zeroHead }
        for i in 0..<beta.count { beta[i] = Float(Double(beta[i]) + bias * Double(weights[i]) / squaredNorm) }
        headBias[0] = 0
    }

    /// Gain and bias that map rewards with this mean and (population) standard deviation to mean 0 and
    /// standard deviation 1, as lm-human-preferences' `normalize` (target mean 0, target std 1).
    public static func normalization(mean: Double, standardDeviation: Double) throws(RewardHeadError) -> (gain: Double, bias: Double) {
        guard standardDeviation > 0, standardDeviation.isFinite, mean.isFinite else {
            throw .degenerateSamples(standardDeviation: standardDeviation)
        }
        let gain = 1 / standardDeviation
        return (gain, -gain * mean)
    }

    /// Mean and population standard deviation.
    public static func moments(_ values: [Double]) -> (mean: Double, standardDeviation: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }
}

public enum RewardHeadError: Error, Equatable, CustomStringConvertible {
    case zeroHead
    case degenerateSamples(standardDeviation: Double)

    public var description: String {
        switch self {
        case .zeroHead:
            return "the reward head's weights are all zero, so its bias cannot be folded into the final LayerNorm; the model did not train"
        case .degenerateSamples(let sd):
            return "the normalisation samples' rewards have standard deviation \(sd): the reward model gives them all one reward, so they cannot be scaled to standard deviation 1 (train longer, or sample more varied completions)"
        }
    }
}

extension RewardHead {
    /// A copy of a language model's trunk with a new scalar head, N(0, 1/(C+1)) and bias 0 (OpenAI's
    /// lm-human-preferences and OpenRLHF). Built from the language model's parameters rather than by
    /// loading its folder with a head, because the folder may carry AdamW moments without one.
    public static func rewardModel(trunk language: GPT2, seed: UInt64) throws -> GPT2 {
        let model = try GPT2(config: language.config, scalarHead: true)
        let isHead = { (t: ParameterTensor) in t.kind == .scalarHeadWeight || t.kind == .scalarHeadBias }
        for (from, to) in zip(language.layout.tensors.filter { !isHead($0) }, model.layout.tensors.filter { !isHead($0) }) {
            precondition(from.kind == to.kind && from.count == to.count, "one config, one trunk layout")
            let source = language.view(from), target = model.view(to)
            for i in 0..<from.count { target[i] = source[i] }
        }
        model.initializeScalarHead(seed: seed)
        return model
    }
}
