/// The forward pass's saved tensors and the backward pass's scratch for one (B, T), in one allocation.
/// Layout follows llm.c: per-layer tensors stacked (L, B, T, ...). Not stored, by design:
/// the attention and MLP projections' outputs (written straight onto the residual stream) and the
/// gradients of every activation (backward runs layer by layer through a few (B, T, .) scratch buffers).
struct Activations {
    let B: Int, T: Int
    let buffer: FloatBuffer
    // Forward, per layer (L, ...):
    let encoded: UnsafeMutablePointer<Float>    // (B, T, C) embedding sum, the residual stream's start
    let ln1: UnsafeMutablePointer<Float>        // (L, B, T, C)
    let ln1Mean, ln1Rstd: UnsafeMutablePointer<Float>  // (L, B, T)
    let qkv: UnsafeMutablePointer<Float>        // (L, B, T, 3C)
    let att: UnsafeMutablePointer<Float>        // (L, B, NH, T, T) softmax probabilities
    let atty: UnsafeMutablePointer<Float>       // (L, B, T, C) attention output before c_proj
    let residual2: UnsafeMutablePointer<Float>  // (L, B, T, C) after the attention half-block
    let ln2: UnsafeMutablePointer<Float>        // (L, B, T, C)
    let ln2Mean, ln2Rstd: UnsafeMutablePointer<Float>  // (L, B, T)
    let fch: UnsafeMutablePointer<Float>        // (L, B, T, I) c_fc output, before GELU
    let fchGelu: UnsafeMutablePointer<Float>    // (L, B, T, I)
    let residual3: UnsafeMutablePointer<Float>  // (L, B, T, C) block output
    let lnf: UnsafeMutablePointer<Float>        // (B, T, C) final hidden states
    let lnfMean, lnfRstd: UnsafeMutablePointer<Float>  // (B, T)
    // Backward scratch, reused by every layer:
    let dHidden: UnsafeMutablePointer<Float>    // (B, T, C) gradient of the final hidden states
    let dResidual: UnsafeMutablePointer<Float>  // (B, T, C) gradient flowing down the residual stream
    let dScratchC: UnsafeMutablePointer<Float>  // (B, T, C) dln / datty
    let dqkv: UnsafeMutablePointer<Float>       // (B, T, 3C)
    let dfch: UnsafeMutablePointer<Float>       // (B, T, I)
    let dAtt: UnsafeMutablePointer<Float>       // (B, NH, T, T)

    static func floats(_ config: GPT2Config, B: Int, T: Int) -> Int {
        let C = config.channels, L = config.layers, NH = config.heads, I = config.innerSize
        let BT = B * T
        let perLayer = BT * (5 * C + 3 * C + 2 * I + 4) + B * NH * T * T
        return BT * C + L * perLayer + BT * (C + 2) + BT * (6 * C + I) + B * NH * T * T
    }

    /// Lays the tensors for (B, T) over `buffer`, which must hold at least `floats(config, B, T)`.
    init(_ config: GPT2Config, B: Int, T: Int, buffer: FloatBuffer) {
        let C = config.channels, L = config.layers, NH = config.heads, I = config.innerSize
        let BT = B * T
        precondition(buffer.count >= Activations.floats(config, B: B, T: T))
        self.B = B
        self.T = T
        self.buffer = buffer
        var next = buffer.pointer
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { next += n }; return next }
        encoded = take(BT * C)
        ln1 = take(L * BT * C); ln1Mean = take(L * BT); ln1Rstd = take(L * BT)
        qkv = take(L * BT * 3 * C)
        att = take(L * B * NH * T * T)
        atty = take(L * BT * C)
        residual2 = take(L * BT * C)
        ln2 = take(L * BT * C); ln2Mean = take(L * BT); ln2Rstd = take(L * BT)
        fch = take(L * BT * I)
        fchGelu = take(L * BT * I)
        residual3 = take(L * BT * C)
        lnf = take(BT * C); lnfMean = take(BT); lnfRstd = take(BT)
        dHidden = take(BT * C)
        dResidual = take(BT * C)
        dScratchC = take(BT * C)
        dqkv = take(BT * 3 * C)
        dfch = take(BT * I)
        dAtt = take(B * NH * T * T)
    }
}
