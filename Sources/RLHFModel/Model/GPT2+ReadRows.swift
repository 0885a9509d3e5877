/// The reward model's shortcut: when only one position per sequence is read (the end index), the last
/// block's outputs at every other position are never used. Keys and values of that block still need
/// every position (ln_1, c_attn and attention run in full), but c_proj, ln_2, the MLP and ln_f run on the
/// B read rows only, forward and backward: for tiny (4 layers) about a seventh of a step.
///
/// Compact (B, .) tensors of the last block live in the first B rows of its full-size slices (atty,
/// residual2, ln2, fch, fchGelu, residual3, lnf's mean and rstd), which this mode does not otherwise
/// use; the final hidden states are scattered back to their (b, t) rows so `scalars(at:)` reads them
/// where it always does.
extension GPT2 {
    /// The last block from c_proj on, at `rows` (one flat row index b * T + t per sequence).
    /// `input` is the block's input (the residual stream); attention has filled the block's `atty`.
    func forwardLastBlockAtRows(_ rows: [Int], input: UnsafeMutablePointer<Float>) {
        guard let acts else { preconditionFailure("no activations") }
        let C = config.channels, L = config.layers, I = config.innerSize, R = rows.count
        let BT = acts.B * acts.T, l = L - 1
        let params = self.params, eps = config.layerNormEpsilon
        let atty = acts.atty + l * BT * C, residual2 = acts.residual2 + l * BT * C
        let ln2 = acts.ln2 + l * BT * C, ln2Mean = acts.ln2Mean + l * BT, ln2Rstd = acts.ln2Rstd + l * BT
        let fch = acts.fch + l * BT * I, fchGelu = acts.fchGelu + l * BT * I
        let residual3 = acts.residual3 + l * BT * C
        // Gather: row r's source b * T + t is never below r, and rows are increasing, so in place is safe.
        for (r, row) in rows.enumerated() {
            if row != r { (atty + r * C).update(from: atty + row * C, count: C) }
            (residual2 + r * C).update(from: input + row * C, count: C)
        }
        // residual2 = residual + atty @ attprojw + attprojb (in place over the gathered residual)
        Linear.forward(out: residual2, inp: atty, weight: params.attprojw + l * C * C, bias: params.attprojb + l * C,
                       residual: residual2, N: R, IC: C, OC: C)
        LayerNorm.forward(out: ln2, mean: ln2Mean, rstd: ln2Rstd, inp: residual2, weight: params.ln2w + l * C,
                          bias: params.ln2b + l * C, N: R, C: C, eps: eps)
        Linear.forward(out: fch, inp: ln2, weight: params.fcw + l * C * I, bias: params.fcb + l * I, N: R, IC: C, OC: I)
        GELU.forward(out: fchGelu, inp: fch, n: R * I)
        Linear.forward(out: residual3, inp: fchGelu, weight: params.fcprojw + l * I * C, bias: params.fcprojb + l * C,
                       residual: residual2, N: R, IC: I, OC: C)
        // ln_f at the read rows, written to their (b, t) rows of the hidden states.
        let hidden = FloatBuffer(count: R * C)
        LayerNorm.forward(out: hidden.pointer, mean: acts.lnfMean, rstd: acts.lnfRstd, inp: residual3, weight: params.lnfw,
                          bias: params.lnfb, N: R, C: C, eps: eps)
        for (r, row) in rows.enumerated() { (acts.lnf + row * C).update(from: hidden.pointer + r * C, count: C) }
    }

    /// Backward of `forwardLastBlockAtRows` from `acts.dHidden` (nonzero only at `rows`): leaves
    /// d(block input) in `acts.dResidual` and d(atty) in `acts.dScratchC`, full size and zero at every
    /// other row, ready for the block's attention backward.
    func backwardLastBlockAtRows(_ rows: [Int], gradients: ParameterPointers) {
        guard let acts else { preconditionFailure("no activations") }
        let C = config.channels, L = config.layers, I = config.innerSize, R = rows.count
        let BT = acts.B * acts.T, l = L - 1
        let params = self.params
        let atty = acts.atty + l * BT * C, residual2 = acts.residual2 + l * BT * C
        let ln2 = acts.ln2 + l * BT * C, ln2Mean = acts.ln2Mean + l * BT, ln2Rstd = acts.ln2Rstd + l * BT
        let fch = acts.fch + l * BT * I, fchGelu = acts.fchGelu + l * BT * I
        let residual3 = acts.residual3 + l * BT * C
        let dHidden = FloatBuffer(count: R * C), dResidual = FloatBuffer(count: R * C)
        let dfch = FloatBuffer(count: R * I), dScratch = FloatBuffer(count: R * C)
        for (r, row) in rows.enumerated() { (dHidden.pointer + r * C).update(from: acts.dHidden + row * C, count: C) }
        // hidden = layernorm(residual3)
        LayerNorm.backward(dinp: dResidual.pointer, dweight: gradients.lnfw, dbias: gradients.lnfb, dout: dHidden.pointer,
                           inp: residual3, weight: params.lnfw, mean: acts.lnfMean, rstd: acts.lnfRstd, N: R, C: C)
        // residual3 = residual2 + fchGelu @ fcprojw + fcprojb
        Linear.backward(dinp: dfch.pointer, dweight: gradients.fcprojw + l * I * C, dbias: gradients.fcprojb + l * C,
                        dout: dResidual.pointer, inp: fchGelu, weight: params.fcprojw + l * I * C, N: R, IC: I, OC: C)
        GELU.backward(dinp: dfch.pointer, inp: fch, dout: dfch.pointer, n: R * I)
        Linear.backward(dinp: dScratch.pointer, dweight: gradients.fcw + l * C * I, dbias: gradients.fcb + l * I,
                        dout: dfch.pointer, inp: ln2, weight: params.fcw + l * C * I, N: R, IC: C, OC: I)
        // ln2 = layernorm(residual2)
        LayerNorm.backward(dinp: dResidual.pointer, dweight: gradients.ln2w + l * C, dbias: gradients.ln2b + l * C,
                           dout: dScratch.pointer, inp: residual2, weight: params.ln2w + l * C, mean: ln2Mean, rstd: ln2Rstd,
                           N: R, C: C)
        // residual2 = residual + atty @ attprojw + attprojb
        Linear.backward(dinp: dScratch.pointer, dweight: gradients.attprojw + l * C * C, dbias: gradients.attprojb + l * C,
                        dout: dResidual.pointer, inp: atty, weight: params.attprojw + l * C * C, N: R, IC: C, OC: C)
        acts.dResidual.update(repeating: 0, count: BT * C)
        acts.dScratchC.update(repeating: 0, count: BT * C)
        for (r, row) in rows.enumerated() {
            (acts.dResidual + row * C).update(from: dResidual.pointer + r * C, count: C)
            (acts.dScratchC + row * C).update(from: dScratch.pointer + r * C, count: C)
        }
    }
}
