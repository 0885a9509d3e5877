import RLHFCore
import RLHFModel

/// Models and names the model-core and trainer tests share.
public enum ModelFixtures {
    /// A model whose every tensor is random and far from its initial value (LayerNorm gains around 1,
    /// biases around 0, weights std 0.15), so no wrong formula hides behind a zero or a one.
    /// `scalarHeadScale`, when given, is the std of the scalar head's weight (else it counts as any vector).
    public static func randomModel(_ config: GPT2Config, scalarHead: Bool = true, seed: UInt64,
                                   scalarHeadScale: Float? = nil) throws -> GPT2 {
        let model = try GPT2(config: config, scalarHead: scalarHead)
        var random = SeededRandom(seed: seed)
        for tensor in model.layout.tensors {
            let view = model.view(tensor)
            for i in 0..<view.count {
                let g = Float(random.nextGaussian())
                switch tensor.kind {
                case .ln1Weight, .ln2Weight, .lnfWeight: view[i] = 1 + 0.2 * g
                case .tokenEmbedding, .positionEmbedding: view[i] = 0.3 * g
                case .scalarHeadWeight where scalarHeadScale != nil: view[i] = (scalarHeadScale ?? 0) * g
                default: view[i] = (tensor.isMatrix ? 0.15 : 0.05) * g
                }
            }
        }
        return model
    }

    /// The name a tensor's gradient has in the parity files of ../shared/reference/gpt2-parity: the
    /// reward head as `head.*`, everything else by its Hugging Face name.
    public static func parityName(_ tensor: ParameterTensor) -> String {
        switch tensor.kind {
        case .scalarHeadWeight: return "head.weight"
        case .scalarHeadBias: return "head.bias"
        default: return HuggingFaceNames.name(tensor)
        }
    }
}
