/// The precision a Sampler holds its weight matrices in.
///
/// - `float32`: the model exactly. The default, and what the reward model's normalisation uses (PPO's
///   rollouts will): their log-probabilities must be the trained policy's.
/// - `bfloat16`: every matrix (the four of each block and the tied token embedding, also where it is
///   read as an embedding) rounded to bfloat16; biases, LayerNorms and the position table stay float32
///   and every operation is float32. Batch-1 decoding streams every weight from memory per token, so half
///   the bytes is up to twice the tokens/s there (gpt2 on two cores: 497 -> 249 MB per token). The
///   samples are those of a slightly different model, `GPT2.roundingMatricesToBFloat16()`: good for
///   trying a model and for labeling rounds, as Hugging Face users load models with
///   `torch_dtype=torch.bfloat16`; not for log-probabilities that training compares with its own.
public enum SamplingWeights: String, CaseIterable, Sendable {
    case float32
    case bfloat16

    /// Reads `f32`/`float32` and `bf16`/`bfloat16`.
    public init?(flag: String) {
        switch flag.lowercased() {
        case "f32", "fp32", "float32": self = .float32
        case "bf16", "bfloat16": self = .bfloat16
        default: return nil
        }
    }

    /// The short name flags and benchmark lines use.
    public var flag: String { self == .float32 ? "f32" : "bf16" }
}

extension GPT2 {
    /// A copy of this model with its matrices rounded to bfloat16 as `SamplingWeights.bfloat16` holds
    /// them (token embedding, and each block's qkv, attention projection, fc and fc projection weights);
    /// every other tensor as it is. A float32 Sampler of the copy computes the same numbers as a
    /// bfloat16 Sampler of this model.
    public func roundingMatricesToBFloat16() throws(ModelError) -> GPT2 {
        let copy = try GPT2(config: config, scalarHead: hasScalarHead)
        copy.parameters.pointer.update(from: parameters.pointer, count: layout.count)
        let C = config.channels, L = config.layers, I = config.innerSize, p = copy.params
        let matrices = [(p.wte, config.vocabSize * C), (p.qkvw, L * C * 3 * C), (p.attprojw, L * C * C),
                        (p.fcw, L * C * I), (p.fcprojw, L * I * C)]
        for (start, count) in matrices {
            for i in 0..<count { start[i] = BFloat16.rounded(start[i]) }
        }
        return copy
    }
}
