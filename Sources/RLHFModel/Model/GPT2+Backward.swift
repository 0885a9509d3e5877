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
        acts.dHidden.update(from: dHidden.baseAddress!, count: dHidden.count)
        backwardTrunk(gradients: allocateGradients())
    }

    /// From `acts.dHidden` down to the embeddings, one layer at a time in reverse.
    func backwardTrunk(gradients: FloatBuffer) {
        guard let a = acts, let batch else { return }
        let B = a.B, T = a.T, C = config.channels, L = config.layers, NH = config.heads, I = config.innerSize
        let BT = B * T
        let p = self.p
        let g = ParameterPointers(gradients, layout)

        // hidden = layernorm(residual_L)
        a.dResidual.update(repeating: 0, count: BT * C)
        LayerNorm.backward(dinp: a.dResidual, dweight: g.lnfw, dbias: g.lnfb, dout: a.dHidden, inp: trunkOutput,
                           weight: p.lnfw, mean: a.lnfMean, rstd: a.lnfRstd, N: BT, C: C)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let residual = l == 0 ? a.encoded : a.residual3 + (l - 1) * BT * C
            let ln1 = a.ln1 + l * BT * C, ln1Mean = a.ln1Mean + l * BT, ln1Rstd = a.ln1Rstd + l * BT
            let qkv = a.qkv + l * BT * 3 * C
            let att = a.att + l * B * NH * T * T
            let atty = a.atty + l * BT * C
            let residual2 = a.residual2 + l * BT * C
            let ln2 = a.ln2 + l * BT * C, ln2Mean = a.ln2Mean + l * BT, ln2Rstd = a.ln2Rstd + l * BT
            let fch = a.fch + l * BT * I, fchGelu = a.fchGelu + l * BT * I

            // residual3 = residual2 + fchGelu @ fcprojw + fcprojb; dResidual carries d residual3 = d residual2.
            Linear.backward(dinp: a.dfch, dweight: g.fcprojw + l * I * C, dbias: g.fcprojb + l * C, dout: a.dResidual,
                            inp: fchGelu, weight: p.fcprojw + l * I * C, N: BT, IC: I, OC: C)
            // fchGelu = gelu(fch)
            GELU.backward(dinp: a.dfch, inp: fch, dout: a.dfch, n: BT * I)
            // fch = ln2 @ fcw + fcb
            Linear.backward(dinp: a.dScratchC, dweight: g.fcw + l * C * I, dbias: g.fcb + l * I, dout: a.dfch,
                            inp: ln2, weight: p.fcw + l * C * I, N: BT, IC: C, OC: I)
            // ln2 = layernorm(residual2)
            LayerNorm.backward(dinp: a.dResidual, dweight: g.ln2w + l * C, dbias: g.ln2b + l * C, dout: a.dScratchC,
                               inp: residual2, weight: p.ln2w + l * C, mean: ln2Mean, rstd: ln2Rstd, N: BT, C: C)
            // residual2 = residual + atty @ attprojw + attprojb
            Linear.backward(dinp: a.dScratchC, dweight: g.attprojw + l * C * C, dbias: g.attprojb + l * C,
                            dout: a.dResidual, inp: atty, weight: p.attprojw + l * C * C, N: BT, IC: C, OC: C)
            Attention.backward(dqkv: a.dqkv, scratch: a.dAtt, dout: a.dScratchC, qkv: qkv, att: att,
                               lengths: batch.lengths, B: B, T: T, C: C, NH: NH)
            // qkv = ln1 @ qkvw + qkvb
            Linear.backward(dinp: a.dScratchC, dweight: g.qkvw + l * C * 3 * C, dbias: g.qkvb + l * 3 * C,
                            dout: a.dqkv, inp: ln1, weight: p.qkvw + l * C * 3 * C, N: BT, IC: C, OC: 3 * C)
            // ln1 = layernorm(residual)
            LayerNorm.backward(dinp: a.dResidual, dweight: g.ln1w + l * C, dbias: g.ln1b + l * C, dout: a.dScratchC,
                               inp: residual, weight: p.ln1w + l * C, mean: ln1Mean, rstd: ln1Rstd, N: BT, C: C)
        }
        Encoder.backward(dwte: g.wte, dwpe: g.wpe, dout: a.dResidual, tokens: batch.tokens, lengths: batch.lengths,
                         B: B, T: T, C: C)
    }
}
