import Foundation
import RLHFCore

extension GPT2 {
    /// GPT-2's initialisation (Radford et al. 2019, as Hugging Face's `_init_weights`): weights and
    /// embeddings N(0, 0.02), the residual projections (attn.c_proj, mlp.c_proj) N(0, 0.02 / sqrt(2L)),
    /// biases 0, LayerNorm gains 1. A scalar head gets N(0, 1 / (C + 1)) and bias 0 (OpenAI's
    /// lm-human-preferences and OpenRLHF). Each tensor chunk draws from its own stream of `seed`, so the
    /// result does not depend on the thread count.
    public func initializeWeights(seed: UInt64) {
        let residualStd = 0.02 / Double(2 * config.layers).squareRoot()
        let headStd = 1 / Double(config.channels + 1).squareRoot()
        for (index, tensor) in layout.tensors.enumerated() {
            let std: Double
            switch tensor.kind {
            case .ln1Weight, .ln2Weight, .lnfWeight:
                (parameters.pointer + tensor.offset).update(repeating: 1, count: tensor.count); continue
            case .ln1Bias, .ln2Bias, .lnfBias, .qkvBias, .attentionProjectionBias, .fcBias, .fcProjectionBias,
                 .scalarHeadBias:
                (parameters.pointer + tensor.offset).update(repeating: 0, count: tensor.count); continue
            case .attentionProjectionWeight, .fcProjectionWeight: std = residualStd
            case .scalarHeadWeight: std = headStd
            default: std = 0.02
            }
            let chunkSize = 1 << 16
            let chunks = (tensor.count + chunkSize - 1) / chunkSize
            Parallel.forEach(chunks) { chunk in
                var random = SeededRandom(seed: seed, stream: UInt64(index) << 32 | UInt64(chunk))
                let begin = chunk * chunkSize, end = min(tensor.count, begin + chunkSize)
                fillGaussian(parameters.pointer + tensor.offset + begin, end - begin, std: std, random: &random)
            }
        }
    }
}

/// Box-Muller, both outputs of each pair used.
func fillGaussian(_ out: UnsafeMutablePointer<Float>, _ n: Int, std: Double, random: inout SeededRandom) {
    var i = 0
    while i < n {
        var u1 = random.nextDouble()
        while u1 <= 0 { u1 = random.nextDouble() }
        let u2 = random.nextDouble()
        let radius = (-2 * Foundation.log(u1)).squareRoot() * std
        let angle = 2 * Double.pi * u2
        out[i] = Float(radius * Foundation.cos(angle))
        if i + 1 < n { out[i + 1] = Float(radius * Foundation.sin(angle)) }
        i += 2
    }
}

extension GPT2 {
    /// A fresh scalar head, N(0, 1 / (C + 1)) with bias 0, leaving the trunk as it is.
    public func initializeScalarHead(seed: UInt64) {
        guard let w = layout.tensor(.scalarHeadWeight), let b = layout.tensor(.scalarHeadBias) else { return }
        var random = SeededRandom(seed: seed, stream: 0x5CA1A7)
        fillGaussian(parameters.pointer + w.offset, w.count, std: 1 / Double(config.channels + 1).squareRoot(), random: &random)
        parameters.pointer[b.offset] = 0
    }
}
