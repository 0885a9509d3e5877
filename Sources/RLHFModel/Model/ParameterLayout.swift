/// Where each parameter tensor sits in the one flat parameter buffer (and, identically, in the gradient
/// and AdamW moment buffers). Per-layer tensors of one kind are stacked: `qkvWeight` is (L, C, 3C).
/// Matrices use Hugging Face's Conv1D [in, out] layout, so a checkpoint tensor is one contiguous copy.
public enum ParameterKind: String, CaseIterable, Sendable {
    case tokenEmbedding          // wte (V, C)
    case positionEmbedding       // wpe (maxT, C)
    case ln1Weight, ln1Bias      // (L, C)
    case qkvWeight               // (L, C, 3C)
    case qkvBias                 // (L, 3C)
    case attentionProjectionWeight  // (L, C, C)
    case attentionProjectionBias    // (L, C)
    case ln2Weight, ln2Bias      // (L, C)
    case fcWeight                // (L, C, I)
    case fcBias                  // (L, I)
    case fcProjectionWeight      // (L, I, C)
    case fcProjectionBias        // (L, C)
    case lnfWeight, lnfBias      // (C)
    case scalarHeadWeight        // (C): reward / value head, present only when the model has one
    case scalarHeadBias          // (1)

    /// Whether the tensor is repeated per transformer block.
    public var isPerLayer: Bool {
        switch self {
        case .tokenEmbedding, .positionEmbedding, .lnfWeight, .lnfBias, .scalarHeadWeight, .scalarHeadBias: return false
        default: return true
        }
    }
}

/// One tensor: a kind, its block (for per-layer kinds), where it starts and its shape.
public struct ParameterTensor: Sendable, Equatable {
    public let kind: ParameterKind
    public let layer: Int?
    public let offset: Int
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
    /// Matrices (embeddings and projections) as opposed to biases and LayerNorm gains: the usual set that
    /// weight decay applies to when it is not applied to everything.
    public var isMatrix: Bool { shape.count >= 2 }
}

public struct ParameterLayout: Sendable, Equatable {
    public let config: GPT2Config
    public let hasScalarHead: Bool
    /// Every tensor, in buffer order.
    public let tensors: [ParameterTensor]
    /// Total floats.
    public let count: Int
    private let bases: [ParameterKind: Int]
    private let perLayerCounts: [ParameterKind: Int]

    public init(config: GPT2Config, scalarHead: Bool) {
        let V = config.vocabSize, C = config.channels, L = config.layers, I = config.innerSize
        let shapes: [(ParameterKind, [Int])] = [
            (.tokenEmbedding, [V, C]), (.positionEmbedding, [config.contextLength, C]),
            (.ln1Weight, [C]), (.ln1Bias, [C]),
            (.qkvWeight, [C, 3 * C]), (.qkvBias, [3 * C]),
            (.attentionProjectionWeight, [C, C]), (.attentionProjectionBias, [C]),
            (.ln2Weight, [C]), (.ln2Bias, [C]),
            (.fcWeight, [C, I]), (.fcBias, [I]),
            (.fcProjectionWeight, [I, C]), (.fcProjectionBias, [C]),
            (.lnfWeight, [C]), (.lnfBias, [C]),
        ] + (scalarHead ? [(.scalarHeadWeight, [C]), (.scalarHeadBias, [1])] : [])
        var offset = 0
        var tensors: [ParameterTensor] = []
        var bases: [ParameterKind: Int] = [:]
        var perLayer: [ParameterKind: Int] = [:]
        for (kind, shape) in shapes {
            let size = shape.reduce(1, *)
            bases[kind] = offset
            perLayer[kind] = size
            if kind.isPerLayer {
                for l in 0..<L {
                    tensors.append(ParameterTensor(kind: kind, layer: l, offset: offset, shape: shape))
                    offset += size
                }
            } else {
                tensors.append(ParameterTensor(kind: kind, layer: nil, offset: offset, shape: shape))
                offset += size
            }
        }
        self.config = config
        self.hasScalarHead = scalarHead
        self.tensors = tensors
        self.count = offset
        self.bases = bases
        self.perLayerCounts = perLayer
    }

    /// Start of `kind` (for layer `layer` when per-layer).
    public func offset(_ kind: ParameterKind, layer: Int = 0) -> Int {
        guard let base = bases[kind], let size = perLayerCounts[kind] else {
            preconditionFailure("the model has no \(kind.rawValue) tensor")
        }
        return base + (kind.isPerLayer ? layer * size : 0)
    }

    public func tensor(_ kind: ParameterKind, layer: Int? = nil) -> ParameterTensor? {
        tensors.first { $0.kind == kind && $0.layer == layer }
    }

    /// Number of parameters counted the way GPT-2 papers count them (no scalar head).
    public var trunkCount: Int { hasScalarHead ? count - config.channels - 1 : count }
}

/// Typed pointers into a parameter-shaped buffer (parameters or gradients): the named views every layer
/// takes. Per-layer views point at layer 0; add `l * size` for block l.
struct ParameterPointers {
    let wte, wpe: UnsafeMutablePointer<Float>   // (V, C), (maxT, C)
    let ln1w, ln1b: UnsafeMutablePointer<Float>  // (L, C)
    let qkvw: UnsafeMutablePointer<Float>        // (L, C, 3C)
    let qkvb: UnsafeMutablePointer<Float>        // (L, 3C)
    let attprojw: UnsafeMutablePointer<Float>    // (L, C, C)
    let attprojb: UnsafeMutablePointer<Float>    // (L, C)
    let ln2w, ln2b: UnsafeMutablePointer<Float>  // (L, C)
    let fcw: UnsafeMutablePointer<Float>         // (L, C, I)
    let fcb: UnsafeMutablePointer<Float>         // (L, I)
    let fcprojw: UnsafeMutablePointer<Float>     // (L, I, C)
    let fcprojb: UnsafeMutablePointer<Float>     // (L, C)
    let lnfw, lnfb: UnsafeMutablePointer<Float>  // (C)
    let headw, headb: UnsafeMutablePointer<Float>?  // (C), (1)

    init(_ buffer: FloatBuffer, _ layout: ParameterLayout) {
        precondition(buffer.count == layout.count, "buffer does not match the parameter layout")
        let p = buffer.pointer
        func at(_ kind: ParameterKind) -> UnsafeMutablePointer<Float> { p + layout.offset(kind) }
        wte = at(.tokenEmbedding); wpe = at(.positionEmbedding)
        ln1w = at(.ln1Weight); ln1b = at(.ln1Bias)
        qkvw = at(.qkvWeight); qkvb = at(.qkvBias)
        attprojw = at(.attentionProjectionWeight); attprojb = at(.attentionProjectionBias)
        ln2w = at(.ln2Weight); ln2b = at(.ln2Bias)
        fcw = at(.fcWeight); fcb = at(.fcBias)
        fcprojw = at(.fcProjectionWeight); fcprojb = at(.fcProjectionBias)
        lnfw = at(.lnfWeight); lnfb = at(.lnfBias)
        headw = layout.hasScalarHead ? at(.scalarHeadWeight) : nil
        headb = layout.hasScalarHead ? at(.scalarHeadBias) : nil
    }
}
