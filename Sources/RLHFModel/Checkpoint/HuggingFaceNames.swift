/// The only place that knows Hugging Face's GPT-2 tensor names and shapes. Our layout already uses
/// Conv1D's [in, out] order, so every tensor maps to one contiguous block; only the scalar head's weight
/// gains a leading 1 ([1, C], as nn.Linear(C, 1) stores it).
public enum HuggingFaceNames {
    /// Name in `GPT2LMHeadModel.state_dict()` (the scalar head: `score.*`, as GPT2ForSequenceClassification).
    public static func name(_ tensor: ParameterTensor) -> String {
        let l = tensor.layer ?? 0
        switch tensor.kind {
        case .tokenEmbedding: return "transformer.wte.weight"
        case .positionEmbedding: return "transformer.wpe.weight"
        case .ln1Weight: return "transformer.h.\(l).ln_1.weight"
        case .ln1Bias: return "transformer.h.\(l).ln_1.bias"
        case .qkvWeight: return "transformer.h.\(l).attn.c_attn.weight"
        case .qkvBias: return "transformer.h.\(l).attn.c_attn.bias"
        case .attentionProjectionWeight: return "transformer.h.\(l).attn.c_proj.weight"
        case .attentionProjectionBias: return "transformer.h.\(l).attn.c_proj.bias"
        case .ln2Weight: return "transformer.h.\(l).ln_2.weight"
        case .ln2Bias: return "transformer.h.\(l).ln_2.bias"
        case .fcWeight: return "transformer.h.\(l).mlp.c_fc.weight"
        case .fcBias: return "transformer.h.\(l).mlp.c_fc.bias"
        case .fcProjectionWeight: return "transformer.h.\(l).mlp.c_proj.weight"
        case .fcProjectionBias: return "transformer.h.\(l).mlp.c_proj.bias"
        case .lnfWeight: return "transformer.ln_f.weight"
        case .lnfBias: return "transformer.ln_f.bias"
        case .scalarHeadWeight: return "score.weight"
        case .scalarHeadBias: return "score.bias"
        }
    }

    /// Shape as Hugging Face stores it.
    public static func shape(_ tensor: ParameterTensor) -> [Int] {
        tensor.kind == .scalarHeadWeight ? [1] + tensor.shape : tensor.shape
    }

    /// The names a file may use for this tensor: with and without the `transformer.` prefix
    /// (GPT2Model's own files have none).
    static func candidates(_ tensor: ParameterTensor) -> [String] {
        let full = name(tensor)
        if full.hasPrefix("transformer.") { return [full, String(full.dropFirst("transformer.".count))] }
        return [full]
    }

    /// Tensors a GPT-2 file may carry that are not parameters: the causal-mask buffers older
    /// transformers saved, and the tied output head.
    static func isIgnorable(_ name: String) -> Bool {
        name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") || name == "lm_head.weight"
    }
}
