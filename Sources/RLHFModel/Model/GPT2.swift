/// GPT-2 as Hugging Face's `GPT2LMHeadModel` computes it (Radford et al. 2019): learned positions,
/// pre-LayerNorm blocks of causal multi-head attention and a GELU MLP, a final LayerNorm, and heads on
/// the final hidden states: the language-model head tied to the token embedding, and optionally a scalar
/// head (reward or value). One flat buffer each for parameters, gradients and activations (llm.c).
///
/// Use: `forward(batch)`, then read heads (`logProbabilities(targets:)`, `scalars(at:)`), then
/// `zeroGradients()` once per step and `backward(HeadGradients(...))` per micro-batch.
/// One computation at a time per process: every call already uses all cores (`Parallel.threads`).
public final class GPT2 {
    public let config: GPT2Config
    public let layout: ParameterLayout
    /// All parameters, laid out by `layout`.
    public let parameters: FloatBuffer
    /// Same layout as `parameters`; allocated by the first `zeroGradients()`.
    public private(set) var gradients: FloatBuffer?

    var activationStorage: FloatBuffer?
    var acts: Activations?
    /// The batch of the last forward pass.
    public private(set) var batch: TokenBatch?
    /// Set by `forward(_:readingOnlyAt:)`: the flat rows (b * T + t) where the final hidden states exist.
    var readRows: [Int]? = nil
    var languageModelHead = LanguageModelHeadState()

    public init(config: GPT2Config, scalarHead: Bool = false) throws(ModelError) {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config: config, scalarHead: scalarHead)
        parameters = FloatBuffer(count: layout.count)
    }

    public var hasScalarHead: Bool { layout.hasScalarHead }

    /// Pointer views of the parameters.
    var params: ParameterPointers { ParameterPointers(parameters, layout) }

    /// The float view of one parameter tensor (or of its gradient).
    public func view(_ tensor: ParameterTensor, gradient: Bool = false) -> UnsafeMutableBufferPointer<Float> {
        let buffer = gradient ? (gradients ?? allocateGradients()) : parameters
        return buffer.view(tensor.offset, tensor.count)
    }

    @discardableResult
    func allocateGradients() -> FloatBuffer {
        if let gradients { return gradients }
        let g = FloatBuffer(count: layout.count)
        gradients = g
        return g
    }

    /// Sets every gradient to zero (allocating them the first time): once per optimizer step, before
    /// the backward passes of its micro-batches.
    public func zeroGradients() {
        allocateGradients().zero()
    }

    /// Activations for (B, T), reusing the allocation when it is large enough.
    func activations(B: Int, T: Int) -> Activations {
        if let acts, acts.B == B, acts.T == T { return acts }
        let needed = Activations.floats(config, B: B, T: T)
        let storage: FloatBuffer
        if let existing = activationStorage, existing.count >= needed { storage = existing } else {
            activationStorage = nil
            acts = nil
            storage = FloatBuffer(count: needed)
            activationStorage = storage
        }
        let a = Activations(config, B: B, T: T, buffer: storage)
        acts = a
        return a
    }

    /// Frees the activations (the next forward allocates again).
    public func releaseActivations() {
        acts = nil
        activationStorage = nil
        languageModelHead = LanguageModelHeadState()
    }

    /// The trunk: embeddings through the final LayerNorm. Leaves the final hidden states in
    /// `hiddenStates` and everything backward needs in the activations.
    public func forward(_ batch: TokenBatch) throws(ModelError) {
        try forward(batch, rows: nil)
    }

    /// The trunk when only one position per sequence will be read (the reward model's end index): the
    /// last block from c_proj on and ln_f run at those positions only (`GPT2+ReadRows.swift`). Only
    /// `scalars(at:)` at these positions and their backward may follow; the LM head may not.
    public func forward(_ batch: TokenBatch, readingOnlyAt positions: [Int]) throws(ModelError) {
        guard positions.count == batch.batchSize else {
            throw .invalidBatch("\(positions.count) read positions for \(batch.batchSize) sequences")
        }
        for (b, t) in positions.enumerated() where t < 0 || t >= batch.lengths[b] {
            throw .invalidBatch("read position \(t) of sequence \(b) is outside its length \(batch.lengths[b])")
        }
        try forward(batch, rows: config.layers == 0 ? nil : positions.enumerated().map { $0.offset * batch.sequenceLength + $0.element })
    }

    func forward(_ batch: TokenBatch, rows: [Int]?) throws(ModelError) {
        try batch.validate(config)
        let B = batch.batchSize, T = batch.sequenceLength
        let C = config.channels, L = config.layers, NH = config.heads, I = config.innerSize
        let BT = B * T
        let acts = activations(B: B, T: T)
        let params = self.params
        let eps = config.layerNormEpsilon
        self.batch = batch
        readRows = rows
        languageModelHead.invalidate()

        Encoder.forward(out: acts.encoded, tokens: batch.tokens, lengths: batch.lengths, wte: params.wte, wpe: params.wpe,
                        B: B, T: T, C: C)
        var residual = acts.encoded
        for l in 0..<L {
            let ln1 = acts.ln1 + l * BT * C, ln1Mean = acts.ln1Mean + l * BT, ln1Rstd = acts.ln1Rstd + l * BT
            let qkv = acts.qkv + l * BT * 3 * C
            let att = acts.att + l * B * NH * T * T
            let atty = acts.atty + l * BT * C
            let residual2 = acts.residual2 + l * BT * C
            let ln2 = acts.ln2 + l * BT * C, ln2Mean = acts.ln2Mean + l * BT, ln2Rstd = acts.ln2Rstd + l * BT
            let fch = acts.fch + l * BT * I, fchGelu = acts.fchGelu + l * BT * I
            let residual3 = acts.residual3 + l * BT * C

            LayerNorm.forward(out: ln1, mean: ln1Mean, rstd: ln1Rstd, inp: residual, weight: params.ln1w + l * C,
                              bias: params.ln1b + l * C, N: BT, C: C, eps: eps)
            Linear.forward(out: qkv, inp: ln1, weight: params.qkvw + l * C * 3 * C, bias: params.qkvb + l * 3 * C,
                           N: BT, IC: C, OC: 3 * C)
            Attention.forward(out: atty, att: att, qkv: qkv, lengths: batch.lengths, B: B, T: T, C: C, NH: NH)
            if let rows, l == L - 1 {
                forwardLastBlockAtRows(rows, input: residual)
                return
            }
            Linear.forward(out: residual2, inp: atty, weight: params.attprojw + l * C * C, bias: params.attprojb + l * C,
                           residual: residual, N: BT, IC: C, OC: C)
            LayerNorm.forward(out: ln2, mean: ln2Mean, rstd: ln2Rstd, inp: residual2, weight: params.ln2w + l * C,
                              bias: params.ln2b + l * C, N: BT, C: C, eps: eps)
            Linear.forward(out: fch, inp: ln2, weight: params.fcw + l * C * I, bias: params.fcb + l * I, N: BT, IC: C, OC: I)
            GELU.forward(out: fchGelu, inp: fch, n: BT * I)
            Linear.forward(out: residual3, inp: fchGelu, weight: params.fcprojw + l * I * C, bias: params.fcprojb + l * C,
                           residual: residual2, N: BT, IC: I, OC: C)
            residual = residual3
        }
        LayerNorm.forward(out: acts.lnf, mean: acts.lnfMean, rstd: acts.lnfRstd, inp: residual, weight: params.lnfw, bias: params.lnfb,
                          N: BT, C: C, eps: eps)
    }

    /// Final hidden states of the last forward pass, (B, T, C); rows past a sequence's length are
    /// meaningless.
    public var hiddenStates: UnsafeBufferPointer<Float> {
        guard let acts else { preconditionFailure("hiddenStates read before forward") }
        precondition(readRows == nil, "after forward(_:readingOnlyAt:) the hidden states exist at the read positions only")
        return UnsafeBufferPointer(start: acts.lnf, count: acts.B * acts.T * config.channels)
    }

    /// The last block's output (the residual stream before the final LayerNorm).
    var trunkOutput: UnsafeMutablePointer<Float> {
        guard let acts else { preconditionFailure("no forward pass") }
        return config.layers == 0 ? acts.encoded
            : acts.residual3 + (config.layers - 1) * acts.B * acts.T * config.channels
    }
}
