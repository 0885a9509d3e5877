/// The shape of a GPT-2: what Hugging Face's `GPT2Config` calls n_layer, n_head, n_embd, vocab_size,
/// n_positions, n_inner and layer_norm_epsilon. Dropout does not exist here (RLHF fine-tuning runs
/// without it, as TRL's defaults and the parity vectors do).
public struct GPT2Config: Equatable, Sendable, Codable {
    /// V: vocabulary size (rows of the token embedding and of the tied output head).
    public var vocabSize: Int
    /// The longest sequence (rows of the position embedding), `n_positions`.
    public var contextLength: Int
    /// L: number of transformer blocks.
    public var layers: Int
    /// NH: attention heads per block; must divide `channels`.
    public var heads: Int
    /// C: width of the residual stream.
    public var channels: Int
    /// Width of the MLP's hidden layer; `n_inner` (null in GPT-2's files, meaning 4C).
    public var innerSize: Int
    public var layerNormEpsilon: Float
    /// Token ids recorded in config.json for Hugging Face tools; the model itself never reads them.
    public var bosTokenId: Int?
    public var eosTokenId: Int?

    public init(vocabSize: Int, contextLength: Int, layers: Int, heads: Int, channels: Int,
                innerSize: Int? = nil, layerNormEpsilon: Float = 1e-5, bosTokenId: Int? = nil,
                eosTokenId: Int? = nil) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.layers = layers
        self.heads = heads
        self.channels = channels
        self.innerSize = innerSize ?? 4 * channels
        self.layerNormEpsilon = layerNormEpsilon
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// HS: width of one attention head.
    public var headSize: Int { channels / heads }

    /// Throws when the shape cannot be built (zero sizes, heads not dividing the width).
    public func validate() throws(ModelError) {
        for (name, value) in [("vocab_size", vocabSize), ("n_positions", contextLength), ("n_layer", layers),
                              ("n_head", heads), ("n_embd", channels), ("n_inner", innerSize)] where value < 1 {
            throw .invalidConfig("\(name) must be at least 1, got \(value)")
        }
        if channels % heads != 0 {
            throw .invalidConfig("n_embd (\(channels)) must be a multiple of n_head (\(heads))")
        }
        if vocabSize > Int(Int32.max) || contextLength > 1 << 20 {
            throw .invalidConfig("vocab_size or n_positions too large")
        }
        if !(layerNormEpsilon > 0) || !layerNormEpsilon.isFinite {
            throw .invalidConfig("layer_norm_epsilon must be a positive number, got \(layerNormEpsilon)")
        }
    }

    /// The three shapes `rlhf bench` and the PyTorch anchor (`../shared/bench/torch_gpt2.py`) share.
    public static let tiny = GPT2Config(vocabSize: 512, contextLength: 128, layers: 4, heads: 4, channels: 128)
    public static let small = GPT2Config(vocabSize: 4096, contextLength: 256, layers: 6, heads: 6, channels: 384)
    /// GPT-2 124M as OpenAI released it (context 1024; the benchmark trains it at 256).
    public static let gpt2 = GPT2Config(vocabSize: 50257, contextLength: 1024, layers: 12, heads: 12, channels: 768,
                                        bosTokenId: 50256, eosTokenId: 50256)

    public static func named(_ name: String) -> GPT2Config? {
        switch name {
        case "tiny": return tiny
        case "small": return small
        case "gpt2": return gpt2
        default: return nil
        }
    }
}
