/// A fully connected layer in Hugging Face's Conv1D layout: weight (IC, OC), so out = inp @ weight + bias.
/// Both directions are `cblas_sgemm` calls; the bias (and a residual, when given) is written into the
/// output first and the product added on top (beta = 1), which saves a pass over the output.
enum Linear {
    /// out (N, OC) = [residual (N, OC) +] inp (N, IC) @ weight (IC, OC) + bias (OC).
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, N: Int, IC: Int, OC: Int) {
        Profile.measure("linear.forward") {
            Parallel.forRanges(N, minimum: max(1, 32_768 / max(OC, 1))) { rows in
                for r in rows {
                    let row = out + r * OC
                    if let residual {
                        let src = residual + r * OC
                        var j = 0
                        while j + 8 <= OC { store8(row + j, load8(src + j) + load8(bias + j)); j += 8 }
                        while j < OC { row[j] = src[j] + bias[j]; j += 1 }
                    } else {
                        row.update(from: bias, count: OC)
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
            // out = inp @ weight  =>  dinp = dout @ weight^T, dweight += inp^T @ dout: independent, so one
            // worker each.
            let dweightProduct = {
                BLAS.gemm(transA: true, M: IC, N: OC, K: N, A: inp, lda: IC, B: dout, ldb: OC, beta: 1, C: dweight, ldc: OC)
            }
            if let dinp {
                BLAS.concurrently({
                    BLAS.gemm(transB: true, M: N, N: IC, K: OC, A: dout, lda: OC, B: weight, ldb: OC,
                              beta: accumulateInput ? 1 : 0, C: dinp, ldc: IC)
                }, dweightProduct)
            } else {
                dweightProduct()
            }
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
        Parallel.forEach(chunks) { chunk in
            addColumnSums(partials.pointer + chunk * OC, dout, rows: Parallel.range(chunk, of: chunks, total: N),
                          n: OC, stride: OC)
        }
        for chunk in 0..<chunks { vectorAdd(dbias, partials.pointer + chunk * OC, OC) }
    }
}
