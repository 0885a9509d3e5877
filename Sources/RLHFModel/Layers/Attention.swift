/// Causal multi-head self-attention (Vaswani et al. 2017) on the fused qkv projection, laid out as
/// Hugging Face's c_attn output: qkv (B, T, 3C) = [q | k | v], head h at columns h*HS ..< (h+1)*HS of
/// each part. Every product is an sgemm on strided views; each (sequence, head) is one job, so heads run
/// in parallel with OpenBLAS on one thread inside. Rows are taken in blocks of `block` queries, and a
/// block only multiplies the keys it can see (columns 0 ..< block end), which skips most of the masked
/// upper triangle. Sequence b only reads rows 0 ..< lengths[b]; rows past it get zero output and zero
/// gradient, so padding never leaks into anything.
enum Attention {
    static let block = 64

    /// out (B, T, C) = softmax(q k^T / sqrt(HS), causal) v per head; att (B, NH, T, T) keeps the
    /// probabilities (row t holds columns 0...t, zeros after, up to its block's end).
    static func forward(out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, lengths: [Int], B: Int, T: Int, C: Int, NH: Int) {
        Profile.measure("attention.forward") {
            let HS = C / NH
            let scale = 1 / Float(HS).squareRoot()
            BLAS.singleThreaded {
                Parallel.forEach(B * NH) { job in
                    let b = job / NH, h = job % NH
                    let len = lengths[b]
                    let qh = qkv + b * T * 3 * C + h * HS
                    let kh = qh + C, vh = qh + 2 * C
                    let ah = att + (b * NH + h) * T * T
                    let oh = out + b * T * C + h * HS
                    var r0 = 0
                    while r0 < len {
                        let r1 = min(len, r0 + block), rows = r1 - r0
                        // preatt (rows, r1) = scale * q[r0..<r1] @ k[0..<r1]^T
                        BLAS.gemm(transB: true, M: rows, N: r1, K: HS, alpha: scale, A: qh + r0 * 3 * C, lda: 3 * C,
                                  B: kh, ldb: 3 * C, beta: 0, C: ah + r0 * T, ldc: T)
                        for t in r0..<r1 { softmaxCausalRow(ah + t * T, t + 1, r1) }
                        // out[r0..<r1] (rows, HS) = att[r0..<r1, 0..<r1] @ v[0..<r1]
                        BLAS.gemm(M: rows, N: HS, K: r1, A: ah + r0 * T, lda: T, B: vh, ldb: 3 * C, beta: 0,
                                  C: oh + r0 * C, ldc: C)
                        r0 = r1
                    }
                    for t in len..<T { (oh + t * C).update(repeating: 0, count: HS) }
                }
            }
        }
    }

    /// Softmax over row[0..<n] in place; row[n..<width] set to zero (the causal mask).
    @inline(__always)
    static func softmaxCausalRow(_ row: UnsafeMutablePointer<Float>, _ n: Int, _ width: Int) {
        var vmax = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n { vmax = lanesMax(vmax, load8(row + i)); i += 8 }
        var m = horizontalMax(vmax)
        while i < n { m = max(m, row[i]); i += 1 }
        let vm = SIMD8<Float>(repeating: m)
        var vsum = SIMD8<Float>()
        i = 0
        while i + 8 <= n {
            let e = VectorMath.exp(load8(row + i) - vm)
            store8(row + i, e)
            vsum += e
            i += 8
        }
        var sum = vsum.sum()
        while i < n { let e = VectorMath.exp(row[i] - m); row[i] = e; sum += e; i += 1 }
        let inv = 1 / sum
        let vinv = SIMD8<Float>(repeating: inv)
        i = 0
        while i + 8 <= n { store8(row + i, load8(row + i) * vinv); i += 8 }
        while i < n { row[i] *= inv; i += 1 }
        if width > n { (row + n).update(repeating: 0, count: width - n) }
    }

    /// dqkv (B, T, 3C) = gradient of qkv (overwritten); scratch (B, NH, T, T) holds dpreatt.
    static func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
                         lengths: [Int], B: Int, T: Int, C: Int, NH: Int) {
        Profile.measure("attention.backward") {
            let HS = C / NH
            let scale = 1 / Float(HS).squareRoot()
            BLAS.singleThreaded {
                Parallel.forEach(B * NH) { job in
                    let b = job / NH, h = job % NH
                    let len = lengths[b]
                    let qh = qkv + b * T * 3 * C + h * HS
                    let kh = qh + C, vh = qh + 2 * C
                    let dqh = dqkv + b * T * 3 * C + h * HS
                    let dkh = dqh + C, dvh = dqh + 2 * C
                    let ah = att + (b * NH + h) * T * T
                    let dah = scratch + (b * NH + h) * T * T
                    let doh = dout + b * T * C + h * HS
                    // Row blocks: datt, dpreatt and dq, which only need keys 0 ..< block end.
                    var r0 = 0
                    while r0 < len {
                        let r1 = min(len, r0 + block), rows = r1 - r0
                        // out = att @ v  =>  datt = dout @ v^T
                        BLAS.gemm(transB: true, M: rows, N: r1, K: HS, A: doh + r0 * C, lda: C, B: vh, ldb: 3 * C,
                                  beta: 0, C: dah + r0 * T, ldc: T)
                        // att = softmax(preatt)  =>  dpreatt = att * (datt - sum(att * datt))
                        for t in r0..<r1 { softmaxBackwardRow(dah + t * T, ah + t * T, t + 1, r1) }
                        // preatt = scale * q @ k^T  =>  dq = scale * dpreatt @ k
                        BLAS.gemm(M: rows, N: HS, K: r1, alpha: scale, A: dah + r0 * T, lda: T, B: kh, ldb: 3 * C,
                                  beta: 0, C: dqh + r0 * 3 * C, ldc: 3 * C)
                        r0 = r1
                    }
                    // Column blocks: key j is seen by queries j ..< len only.
                    var j0 = 0
                    while j0 < len {
                        let j1 = min(len, j0 + block), columns = j1 - j0, seen = len - j0
                        // dv[j0..<j1] = att[j0..<len, j0..<j1]^T @ dout[j0..<len]
                        BLAS.gemm(transA: true, M: columns, N: HS, K: seen, A: ah + j0 * T + j0, lda: T,
                                  B: doh + j0 * C, ldb: C, beta: 0, C: dvh + j0 * 3 * C, ldc: 3 * C)
                        // dk[j0..<j1] = scale * dpreatt[j0..<len, j0..<j1]^T @ q[j0..<len]
                        BLAS.gemm(transA: true, M: columns, N: HS, K: seen, alpha: scale, A: dah + j0 * T + j0, lda: T,
                                  B: qh + j0 * 3 * C, ldb: 3 * C, beta: 0, C: dkh + j0 * 3 * C, ldc: 3 * C)
                        j0 = j1
                    }
                    for t in len..<T {
                        (dqh + t * 3 * C).update(repeating: 0, count: HS)
                        (dkh + t * 3 * C).update(repeating: 0, count: HS)
                        (dvh + t * 3 * C).update(repeating: 0, count: HS)
                    }
                }
            }
        }
    }

    /// In place: datt[0..<n] becomes dpreatt; columns n..<width (masked) become zero.
    @inline(__always)
    static func softmaxBackwardRow(_ datt: UnsafeMutablePointer<Float>, _ att: UnsafePointer<Float>, _ n: Int,
                                   _ width: Int) {
        let dot = vectorDot(att, datt, n)
        let vd = SIMD8<Float>(repeating: dot)
        var i = 0
        while i + 8 <= n { store8(datt + i, load8(att + i) * (load8(datt + i) - vd)); i += 8 }
        while i < n { datt[i] = att[i] * (datt[i] - dot); i += 1 }
        if width > n { (datt + n).update(repeating: 0, count: width - n) }
    }
}
