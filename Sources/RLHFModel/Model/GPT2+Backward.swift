/// Gradients of the heads' outputs, the seed of a backward pass. A loss built from several heads
/// (PPO's policy and value terms on one trunk) passes all of them at once.
public struct HeadGradients: Sendable {
    /// (B, T): d loss / d log p(target[b, t]) for the targets of the last `logProbabilities(targets:)`;
    /// zero where unused. Nil when the loss does not use the LM head.
    public var logProbabilities: [Float]?
    /// (B, T): d loss / d scalar-head output at (b, t); zero where unused. Nil when not used.
    public var scalars: [Float]?

    public init(logProbabilities: [Float]? = nil, scalars: [Float]? = nil) {
        self.logProbabilities = logProbabilities
        self.scalars = scalars
    }

    /// Scalar-head gradients at one position per sequence (the reward model's read-out).
    public static func scalars(at positions: [Int], gradients: [Float], batchSize B: Int, sequenceLength T: Int)
        -> HeadGradients {
        precondition(positions.count == B && gradients.count == B, "one position and one gradient per sequence")
        var dense = [Float](repeating: 0, count: B * T)
        for b in 0..<B { dense[b * T + positions[b]] += gradients[b] }
        return HeadGradients(scalars: dense)
    }
}

extension GPT2 {
    /// Backpropagates the heads' gradients through the heads and the trunk, adding into `gradients`
    /// (call `zeroGradients()` first, once per optimizer step).
    public func backward(_ heads: HeadGradients) {
        guard let acts, let batch else { preconditionFailure("backward before forward") }
        let g = allocateGradients()
        let BT = acts.B * acts.T, C = config.channels
        acts.dHidden.update(repeating: 0, count: BT * C)
        if let dLogProbabilities = heads.logProbabilities {
            precondition(dLogProbabilities.count == BT, "logProbabilities gradient must be (B, T)")
            languageModelBackward(dLogProbabilities, into: acts.dHidden, gradients: g)
        }
        if let dScalars = heads.scalars {
            precondition(dScalars.count == BT, "scalars gradient must be (B, T)")
            scalarHeadBackward(dScalars, batch: batch, into: acts.dHidden, gradients: g)
        }
        backwardTrunk(gradients: g)
    }

    /// Backward from an arbitrary gradient of the final hidden states (B, T, C), for heads defined
    /// outside this type.
    public func backward(dHidden: UnsafeBufferPointer<Float>) {
        guard let acts else { preconditionFailure("backward before forward") }
        precondition(dHidden.count == acts.B * acts.T * config.channels, "dHidden must be (B, T, C)")
        guard let source = dHidden.baseAddress else { return }
        acts.dHidden.update(from: source, count: dHidden.count)
        backwardTrunk(gradients: allocateGradients())
    }

    /// From `acts.dHidden` down to the embeddings, one layer at a time in reverse.
    func backwardTrunk(gradients: FloatBuffer) {
        guard let acts, let batch else { return }
        let B = acts.B, T = acts.T, C = config.channels, L = config.layers, NH = config.heads, I = config.innerSize
        let BT = B * T
        let params = self.params
        let grads = ParameterPointers(gradients, layout)

        if let rows = readRows {
            // The last block after attention at the read rows only; then its attention in full, below.
            backwardLastBlockAtRows(rows, gradients: grads)
        } else {
            // hidden = layernorm(residual_L)
            acts.dResidual.update(repeating: 0, count: BT * C)
            LayerNorm.backward(dinp: acts.dResidual, dweight: grads.lnfw, dbias: grads.lnfb, dout: acts.dHidden, inp: trunkOutput,
                               weight: params.lnfw, mean: acts.lnfMean, rstd: acts.lnfRstd, N: BT, C: C)
        }
        for l in stride(from: L - 1, through: 0, by: -1) {
            let residual = l == 0 ? acts.encoded : acts.residual3 + (l - 1) * BT * C
            let ln1 = acts.ln1 + l * BT * C, ln1Mean = acts.ln1Mean + l * BT, ln1Rstd = acts.ln1Rstd + l * BT
            let qkv = acts.qkv + l * BT * 3 * C
            let att = acts.att + l * B * NH * T * T
            let atty = acts.atty + l * BT * C
            let residual2 = acts.residual2 + l * BT * C
            let ln2 = acts.ln2 + l * BT * C, ln2Mean = acts.ln2Mean + l * BT, ln2Rstd = acts.ln2Rstd + l * BT
            let fch = acts.fch + l * BT * I, fchGelu = acts.fchGelu + l * BT * I

            // (In read-rows mode the last block's half after attention is already done, at its rows.)
            if readRows == nil || l != L - 1 {
                // residual3 = residual2 + fchGelu @ fcprojw + fcprojb; dResidual carries d residual3 = d residual2.
                Linear.backward(dinp: acts.dfch, dweight: grads.fcprojw + l * I * C, dbias: grads.fcprojb + l * C, dout: acts.dResidual,
                                inp: fchGelu, weight: params.fcprojw + l * I * C, N: BT, IC: I, OC: C)
                // fchGelu = gelu(fch)
                GELU.backward(dinp: acts.dfch, inp: fch, dout: acts.dfch, n: BT * I)
                // fch = ln2 @ fcw + fcb
                Linear.backward(dinp: acts.dScratchC, dweight: grads.fcw + l * C * I, dbias: grads.fcb + l * I, dout: acts.dfch,
                                inp: ln2, weight: params.fcw + l * C * I, N: BT, IC: C, OC: I)
                // ln2 = layernorm(residual2)
                LayerNorm.backward(dinp: acts.dResidual, dweight: grads.ln2w + l * C, dbias: grads.ln2b + l * C, dout: acts.dScratchC,
                                   inp: residual2, weight: params.ln2w + l * C, mean: ln2Mean, rstd: ln2Rstd, N: BT, C: C)
                // residual2 = residual + atty @ attprojw + attprojb
                Linear.backward(dinp: acts.dScratchC, dweight: grads.attprojw + l * C * C, dbias: grads.attprojb + l * C,
                                dout: acts.dResidual, inp: atty, weight: params.attprojw + l * C * C, N: BT, IC: C, OC: C)
            }
            Attention.backward(dqkv: acts.dqkv, scratch: acts.dAtt, dout: acts.dScratchC, qkv: qkv, att: att,
                               lengths: batch.lengths, B: B, T: T, C: C, NH: NH)
            // qkv = ln1 @ qkvw + qkvb
            Linear.backward(dinp: acts.dScratchC, dweight: grads.qkvw + l * C * 3 * C, dbias: grads.qkvb + l * 3 * C,
                            dout: acts.dqkv, inp: ln1, weight: params.qkvw + l * C * 3 * C, N: BT, IC: C, OC: 3 * C)
            // ln1 = layernorm(residual)
            LayerNorm.backward(dinp: acts.dResidual, dweight: grads.ln1w + l * C, dbias: grads.ln1b + l * C, dout: acts.dScratchC,
                               inp: residual, weight: params.ln1w + l * C, mean: ln1Mean, rstd: ln1Rstd, N: BT, C: C)
        }
        Encoder.backward(dwte: grads.wte, dwpe: grads.wpe, dout: acts.dResidual, tokens: batch.tokens, lengths: batch.lengths,
                         B: B, T: T, C: C)
    }
}
