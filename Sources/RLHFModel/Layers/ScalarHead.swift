/// The scalar head: one linear read-out of the final hidden state, r = h . w + b (a reward model's
/// reward, PPO's value). Read at chosen positions only; it never searches for a pad token.
extension GPT2 {
    /// One scalar per sequence, read at `positions[b]` (the reward model: the end-of-text index the
    /// serialiser returned).
    public func scalars(at positions: [Int]) throws(ModelError) -> [Float] {
        guard let acts, let batch else { preconditionFailure("scalars before forward") }
        guard let w = params.headw, let bias = params.headb else {
            throw .missingHead("this model has no scalar head; build it with GPT2(config:scalarHead: true)")
        }
        guard positions.count == acts.B else {
            throw .invalidBatch("\(positions.count) read positions for \(acts.B) sequences")
        }
        let C = config.channels
        var out = [Float](repeating: 0, count: acts.B)
        for b in 0..<acts.B {
            let t = positions[b]
            guard t >= 0 && t < batch.lengths[b] else {
                throw .invalidBatch("read position \(t) of sequence \(b) is outside its length \(batch.lengths[b])")
            }
            if let readRows, readRows[b] != b * acts.T + t {
                throw .invalidBatch("sequence \(b) was run forward for position \(readRows[b] - b * acts.T) only, not \(t)")
            }
            out[b] = vectorDot(acts.lnf + (b * acts.T + t) * C, w, C) + bias.pointee
        }
        return out
    }

    /// The scalar head at every position: (B, T), zero past each sequence's length (PPO's values).
    public func scalarsAtEveryPosition() throws(ModelError) -> [Float] {
        guard let acts, let batch else { preconditionFailure("scalars before forward") }
        precondition(readRows == nil, "values at every position need forward(_:), not forward(_:readingOnlyAt:)")
        guard let w = params.headw, let bias = params.headb else {
            throw .missingHead("this model has no scalar head; build it with GPT2(config:scalarHead: true)")
        }
        let C = config.channels, T = acts.T
        var out = [Float](repeating: 0, count: acts.B * T)
        for b in 0..<acts.B {
            for t in 0..<batch.lengths[b] { out[b * T + t] = vectorDot(acts.lnf + (b * T + t) * C, w, C) + bias.pointee }
        }
        return out
    }

    /// r = h . w + b  =>  dh += dr * w, dw += dr * h, db += dr; rows in (b, t) order.
    func scalarHeadBackward(_ dScalars: [Float], batch: TokenBatch, into dHidden: UnsafeMutablePointer<Float>,
                            gradients: FloatBuffer) {
        guard let acts, let w = params.headw else { preconditionFailure("scalar-head gradients need a scalar head") }
        let C = config.channels, T = acts.T
        let dw = gradients.pointer + layout.offset(.scalarHeadWeight)
        let db = gradients.pointer + layout.offset(.scalarHeadBias)
        for b in 0..<acts.B {
            for t in 0..<T {
                let g = dScalars[b * T + t]
                if g == 0 { continue }
                precondition(t < batch.lengths[b], "scalar-head gradient past the end of sequence \(b)")
                precondition(readRows == nil || readRows?[b] == b * T + t, "scalar-head gradient away from the read position")
                let row = b * T + t
                vectorAddScaled(dHidden + row * C, g, w, C)
                vectorAddScaled(dw, g, acts.lnf + row * C, C)
                db.pointee += g
            }
        }
    }
}
