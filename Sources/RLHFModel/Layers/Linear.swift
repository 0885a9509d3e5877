/// A fully connected layer in Hugging Face's Conv1D layout: weight (IC, OC), so out = inp @ weight + bias.
/// Both directions are `cblas_sgemm` calls; the bias (and a residual, when given) is written into the
/// output first and the product added on top (beta = 1), which saves a pass over the output.
enum Linear {
    /// out (N, OC) = [residual (N, OC) +] inp (N, IC) @ weight (IC, OC) + bias (OC).
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, N: Int, IC: Int, OC: Int) {
        Profile.measure("linear.forward") {
            let o = SendablePointer(out), b = SendablePointer(UnsafeMutablePointer(mutating: bias))
            let res = residual.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            Parallel.forRanges(N, minimum: max(1, 32_768 / max(OC, 1))) { rows in
                for r in rows {
                    let row = o.base + r * OC
                    if let res {
                        let src = res.base + r * OC
                        var j = 0
                        while j + 8 <= OC { store8(row + j, load8(src + j) + load8(b.base + j)); j += 8 }
                        while j < OC { row[j] = src[j] + b.base[j]; j += 1 }
                    } else {
                        row.update(from: b.base, count: OC)
                    }
                }
            }
            BLAS.gemm(M: N, N: OC, K: IC, A: inp, lda: IC, B: weight, ldb: OC, beta: 1, C: out, ldc: OC)
        }
    }

    /// dinp (N, IC) = dout @ weight^T (overwritten, or added when `accumulateInput`);
    /// dweight (IC, OC) += inp^T @ dout; dbias (OC) += column sums of dout.
    static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
                         dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, N: Int, IC: Int, OC: Int, accumulateInput: Bool = false) {
        Profile.measure("linear.backward") {
            if let dinp {
                BLAS.gemm(transB: true, M: N, N: IC, K: OC, A: dout, lda: OC, B: weight, ldb: OC,
                          beta: accumulateInput ? 1 : 0, C: dinp, ldc: IC)
            }
            BLAS.gemm(transA: true, M: IC, N: OC, K: N, A: inp, lda: IC, B: dout, ldb: OC, beta: 1, C: dweight, ldc: OC)
            if let dbias { biasBackward(dbias: dbias, dout: dout, N: N, OC: OC) }
        }
    }

    /// dbias (OC) += sum over rows of dout (N, OC): fixed row chunks, partials added in chunk order.
    static func biasBackward(dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int, OC: Int) {
        let chunks = Parallel.chunkCount(N, minimum: max(1, 65_536 / max(OC, 1)))
        if chunks == 1 {
            addColumnSums(dbias, dout, rows: 0..<N, n: OC, stride: OC)
            return
        }
        let partials = FloatBuffer(count: chunks * OC)
        let pp = SendablePointer(partials.pointer), dO = SendablePointer(UnsafeMutablePointer(mutating: dout))
        Parallel.forEach(chunks) { chunk in
            addColumnSums(pp.base + chunk * OC, dO.base, rows: Parallel.range(chunk, of: chunks, total: N),
                          n: OC, stride: OC)
        }
        for chunk in 0..<chunks { vectorAdd(dbias, partials.pointer + chunk * OC, OC) }
    }
}
