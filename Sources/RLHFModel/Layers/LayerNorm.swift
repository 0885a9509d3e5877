/// LayerNorm over the last dimension (Ba et al. 2016), as torch.nn.LayerNorm computes it: biased
/// variance, eps inside the square root.
enum LayerNorm {
    /// out (N, C) = (inp - mean) * rstd * weight + bias; mean and rstd (N) kept for backward.
    static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                        rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, N: Int, C: Int, eps: Float) {
        Profile.measure("layernorm.forward") {
            Parallel.forRanges(N, minimum: max(1, 16_384 / max(C, 1))) { rows in
                for r in rows {
                    forwardRow(out: out + r * C, mean: mean + r, rstd: rstd + r, inp: inp + r * C,
                               weight: weight, bias: bias, C: C, eps: eps)
                }
            }
        }
    }

    @inline(__always)
    static func forwardRow(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                           rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, C: Int, eps: Float) {
        let mu = vectorSum(inp, C) / Float(C)
        let vmu = SIMD8<Float>(repeating: mu)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= C {
            let d0 = load8(inp + i) - vmu, d1 = load8(inp + i + 8) - vmu
            a0 += d0 * d0; a1 += d1 * d1
            i += 16
        }
        while i + 8 <= C { let d = load8(inp + i) - vmu; a0 += d * d; i += 8 }
        var variance = (a0 + a1).sum()
        while i < C { let d = inp[i] - mu; variance += d * d; i += 1 }
        variance /= Float(C)
        let rs = 1 / (variance + eps).squareRoot()
        mean.pointee = mu
        rstd.pointee = rs
        let vrs = SIMD8<Float>(repeating: rs)
        i = 0
        while i + 8 <= C {
            store8(out + i, (load8(inp + i) - vmu) * vrs * load8(weight + i) + load8(bias + i))
            i += 8
        }
        while i < C { out[i] = (inp[i] - mu) * rs * weight[i] + bias[i]; i += 1 }
    }

    /// dinp (N, C) += d/dinp; dweight, dbias (C) += their gradients. Backward of
    /// `out = norm * weight + bias`, `norm = (inp - mean) * rstd`:
    ///   dnorm = dout * weight
    ///   dinp = (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) * rstd
    static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                         dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, N: Int, C: Int) {
        Profile.measure("layernorm.backward") {
            // Each fixed row chunk sums its own dweight/dbias partial; partials are added in chunk order.
            let chunks = Parallel.chunkCount(N, minimum: max(1, 16_384 / max(C, 1)))
            let partials = FloatBuffer(count: chunks * 2 * C)
            Parallel.forEach(chunks) { chunk in
                let dw = partials.pointer + chunk * 2 * C, db = dw + C
                for r in Parallel.range(chunk, of: chunks, total: N) {
                    backwardRow(dinp: dinp + r * C, dweight: dw, dbias: db, dout: dout + r * C,
                                inp: inp + r * C, weight: weight, mean: mean[r], rstd: rstd[r], C: C)
                }
            }
            for chunk in 0..<chunks {
                vectorAdd(dweight, partials.pointer + chunk * 2 * C, C)
                vectorAdd(dbias, partials.pointer + chunk * 2 * C + C, C)
            }
        }
    }

    @inline(__always)
    static func backwardRow(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                            dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                            inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, mean: Float, rstd: Float,
                            C: Int) {
        let vm = SIMD8<Float>(repeating: mean), vr = SIMD8<Float>(repeating: rstd)
        var sumD = SIMD8<Float>(), sumDN = SIMD8<Float>()
        var i = 0
        while i + 8 <= C {
            let norm = (load8(inp + i) - vm) * vr
            let g = load8(dout + i)
            let dnorm = g * load8(weight + i)
            sumD += dnorm
            sumDN += dnorm * norm
            store8(dbias + i, load8(dbias + i) + g)
            store8(dweight + i, load8(dweight + i) + norm * g)
            i += 8
        }
        var dnormMean = sumD.sum(), dnormNormMean = sumDN.sum()
        while i < C {
            let norm = (inp[i] - mean) * rstd
            let dnorm = dout[i] * weight[i]
            dnormMean += dnorm
            dnormNormMean += dnorm * norm
            dbias[i] += dout[i]
            dweight[i] += norm * dout[i]
            i += 1
        }
        dnormMean /= Float(C)
        dnormNormMean /= Float(C)
        let vdm = SIMD8<Float>(repeating: dnormMean), vdnm = SIMD8<Float>(repeating: dnormNormMean)
        i = 0
        while i + 8 <= C {
            let norm = (load8(inp + i) - vm) * vr
            let dnorm = load8(dout + i) * load8(weight + i)
            store8(dinp + i, load8(dinp + i) + (dnorm - vdm - norm * vdnm) * vr)
            i += 8
        }
        while i < C {
            let norm = (inp[i] - mean) * rstd
            let dnorm = dout[i] * weight[i]
            dinp[i] += (dnorm - dnormMean - norm * dnormNormMean) * rstd
            i += 1
        }
    }
}
