import Foundation

/// What the LM head keeps between its forward and backward: which (b, t) rows it computed, their
/// targets, and the softmax of their logits (turned into dlogits in place by backward).
struct LanguageModelHeadState {
    var rows: [Int] = []            // (N) row indices b * T + t, ascending
    var targets: [Int32] = []       // (N)
    var allRows = false             // rows == 0..<B*T, so the hidden states are used in place
    var probabilities: FloatBuffer? // (N, V) softmax, capacity may exceed N * V
    var gathered: FloatBuffer?      // (N, C) hidden rows when not all rows are used
    var ready = false

    mutating func invalidate() { ready = false }
}

extension GPT2 {
    /// log p(targets[b, t] | tokens[b, 0...t]) for every (b, t) with a target: (B, T), zero where
    /// `targets` is negative (no target) or t is at or past the sequence's length. Computes logits only
    /// for the rows that have a target, and keeps their softmax for `backward`.
    public func logProbabilities(targets: [Int32]) throws(ModelError) -> [Float] {
        guard let acts, let batch else { preconditionFailure("logProbabilities before forward") }
        precondition(readRows == nil, "the LM head needs every position: use forward(_:) rather than forward(_:readingOnlyAt:)")
        let B = acts.B, T = acts.T, C = config.channels, V = config.vocabSize
        guard targets.count == B * T else {
            throw .invalidBatch("\(targets.count) targets for a (\(B), \(T)) batch; pass -1 where there is none")
        }
        var rows: [Int] = []
        var rowTargets: [Int32] = []
        rows.reserveCapacity(B * T)
        for b in 0..<B {
            for t in 0..<batch.lengths[b] {
                let y = targets[b * T + t]
                if y < 0 { continue }
                if Int(y) >= V { throw .tokenOutOfRange(id: Int(y), position: t, vocabSize: V) }
                rows.append(b * T + t)
                rowTargets.append(y)
            }
        }
        let N = rows.count
        var head = languageModelHead
        head.rows = rows
        head.targets = rowTargets
        head.allRows = N == B * T
        if (head.probabilities?.count ?? 0) < N * V { head.probabilities = nil; head.probabilities = FloatBuffer(count: max(N, 1) * V) }
        var hidden = UnsafePointer(acts.lnf)
        if !head.allRows {
            if (head.gathered?.count ?? 0) < N * C { head.gathered = FloatBuffer(count: max(N, 1) * C) }
            let dst = head.gathered!.pointer
            for (i, row) in rows.enumerated() { (dst + i * C).update(from: acts.lnf + row * C, count: C) }
            hidden = UnsafePointer(dst)
        }
        var result = [Float](repeating: 0, count: B * T)
        guard N > 0 else {
            head.ready = true
            languageModelHead = head
            return result
        }
        let probabilities = head.probabilities!.pointer
        // logits (N, V) = hidden (N, C) @ wte^T (C, V)
        Profile.measure("lmhead.logits") {
            BLAS.gemm(transB: true, M: N, N: V, K: C, A: hidden, lda: C, B: params.wte, ldb: C, beta: 0, C: probabilities, ldc: V)
        }
        let logProbabilities = Profile.measure("lmhead.softmax") {
            softmaxRows(probabilities, targets: rowTargets, V: V)
        }
        for (i, row) in rows.enumerated() { result[row] = logProbabilities[i] }
        head.ready = true
        languageModelHead = head
        return result
    }

    /// Mean cross-entropy of next-token `targets` over the positions that have one, divided by
    /// `normalizer` (default: their count) rather than averaged per call, so micro-batches of one
    /// accumulated step share the step's total. Returns the loss and the gradient seed for `backward`.
    public func crossEntropy(targets: [Int32], normalizer: Float? = nil) throws(ModelError)
        -> (loss: Float, count: Int, gradients: HeadGradients) {
        let logProbabilities = try logProbabilities(targets: targets)
        let count = languageModelHead.rows.count
        let n = normalizer ?? Float(max(count, 1))
        var sum: Double = 0
        var seed = [Float](repeating: 0, count: logProbabilities.count)
        for row in languageModelHead.rows {
            sum -= Double(logProbabilities[row])
            seed[row] = -1 / n
        }
        return (Float(sum / Double(n)), count, HeadGradients(logProbabilities: seed))
    }

    /// dHidden += d/dhidden and dwte += d/dwte of sum(dLogProbabilities * logp(target)).
    func languageModelBackward(_ dLogProbabilities: [Float], into dHidden: UnsafeMutablePointer<Float>,
                               gradients: FloatBuffer) {
        guard let acts, languageModelHead.ready, let probabilitiesBuffer = languageModelHead.probabilities else {
            preconditionFailure("backward with LM-head gradients needs logProbabilities(targets:) after forward")
        }
        let head = languageModelHead
        let N = head.rows.count, C = config.channels, V = config.vocabSize
        guard N > 0 else { return }
        let dlogits = probabilitiesBuffer.pointer
        // logp = logit[y] - logsumexp(logits)  =>  dlogits = g * (onehot(y) - softmax), in place
        Profile.measure("lmhead.dlogits") {
            let weights = head.rows.map { dLogProbabilities[$0] }
            softmaxToLogitGradients(dlogits, targets: head.targets, weights: weights, V: V)
        }
        languageModelHead.ready = false   // the softmax is gone
        let hidden: UnsafePointer<Float> = head.allRows ? UnsafePointer(acts.lnf) : UnsafePointer(head.gathered!.pointer)
        let dwte = gradients.pointer + layout.offset(.tokenEmbedding)
        // logits = hidden @ wte^T  =>  dwte += dlogits^T @ hidden, dhidden = dlogits @ wte
        Profile.measure("lmhead.backward.gemm") {
            let dGathered = head.allRows ? nil : FloatBuffer(count: N * C)
            BLAS.concurrently({
                BLAS.gemm(transA: true, M: V, N: C, K: N, A: dlogits, lda: V, B: hidden, ldb: C, beta: 1, C: dwte, ldc: C)
            }, {
                if let dGathered {
                    BLAS.gemm(M: N, N: C, K: V, A: dlogits, lda: V, B: self.params.wte, ldb: C, beta: 0,
                              C: dGathered.pointer, ldc: C)
                } else {
                    BLAS.gemm(M: N, N: C, K: V, A: dlogits, lda: V, B: self.params.wte, ldb: C, beta: 1, C: dHidden, ldc: C)
                }
            })
            if let dGathered {
                for (i, row) in head.rows.enumerated() { vectorAdd(dHidden + row * C, dGathered.pointer + i * C, C) }
            }
        }
    }
}

/// Rows (N, V) of logits become their softmax, in parallel; returns log softmax at each row's target.
func softmaxRows(_ logits: UnsafeMutablePointer<Float>, targets: [Int32], V: Int) -> [Float] {
    let N = targets.count
    var out = [Float](repeating: 0, count: N)
    out.withUnsafeMutableBufferPointer { buffer in
        Parallel.forRanges(N, minimum: max(1, 32_768 / V)) { range in
            for i in range { buffer[i] = softmaxRow(logits + i * V, V, target: Int(targets[i])) }
        }
    }
    return out
}

/// In place: softmax rows (N, V) become g * (onehot(target) - softmax), g = weights[row].
func softmaxToLogitGradients(_ rows: UnsafeMutablePointer<Float>, targets: [Int32], weights: [Float], V: Int) {
    Parallel.forRanges(targets.count, minimum: max(1, 32_768 / V)) { range in
        for i in range {
            let g = weights[i]
            let row = rows + i * V
            let vg = SIMD8<Float>(repeating: -g)
            var j = 0
            while j + 8 <= V { store8(row + j, load8(row + j) * vg); j += 8 }
            while j < V { row[j] *= -g; j += 1 }
            row[Int(targets[i])] += g
        }
    }
}

/// In place: row (V) of logits becomes its softmax; returns log softmax at `target`.
@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ V: Int, target: Int) -> Float {
    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0
    var j = 0
    while j + 16 <= V { m0 = lanesMax(m0, load8(row + j)); m1 = lanesMax(m1, load8(row + j + 8)); j += 16 }
    while j + 8 <= V { m0 = lanesMax(m0, load8(row + j)); j += 8 }
    var m = horizontalMax(lanesMax(m0, m1))
    while j < V { m = max(m, row[j]); j += 1 }
    let logit = row[target]
    let vm = SIMD8<Float>(repeating: m)
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
    j = 0
    while j + 16 <= V {
        let e0 = VectorMath.exp(load8(row + j) - vm), e1 = VectorMath.exp(load8(row + j + 8) - vm)
        store8(row + j, e0); store8(row + j + 8, e1)
        s0 += e0; s1 += e1
        j += 16
    }
    while j + 8 <= V { let e = VectorMath.exp(load8(row + j) - vm); store8(row + j, e); s0 += e; j += 8 }
    var sum = (s0 + s1).sum()
    while j < V { let e = VectorMath.exp(row[j] - m); row[j] = e; sum += e; j += 1 }
    let inv = 1 / sum
    let vinv = SIMD8<Float>(repeating: inv)
    j = 0
    while j + 8 <= V { store8(row + j, load8(row + j) * vinv); j += 8 }
    while j < V { row[j] *= inv; j += 1 }
    return (logit - m) - Foundation.log(sum)
}

extension GPT2 {
    /// Logits of every (b, t) position, (B, T, V), from the last forward pass (rows past a sequence's
    /// length are meaningless). For inspection and tests; training uses `logProbabilities(targets:)`.
    public func logits() -> [Float] {
        guard let acts else { preconditionFailure("logits before forward") }
        precondition(readRows == nil, "the LM head needs every position: use forward(_:) rather than forward(_:readingOnlyAt:)")
        let N = acts.B * acts.T, C = config.channels, V = config.vocabSize
        var out = [Float](repeating: 0, count: N * V)
        out.withUnsafeMutableBufferPointer { buffer in
            BLAS.gemm(transB: true, M: N, N: V, K: C, A: acts.lnf, lda: C, B: params.wte, ldb: C, beta: 0,
                      C: buffer.baseAddress!, ldc: V)
        }
        return out
    }
}
