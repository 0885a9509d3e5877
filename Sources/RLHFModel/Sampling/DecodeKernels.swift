/// The matrix products of one decoding step, written as our own dot-product kernels rather than sgemm.
/// Why: a sampled sequence must not depend on the batch it is in (issue 9), so each output must be
/// the same float whatever the number of rows beside it. OpenBLAS does not promise that: measured with
/// 0.3.21 on SkylakeX kernels, a row of an M=1 sgemm differs in its last bits from the same row in an
/// M=2..64 product, and sgemm at M=1 repacks the whole weight matrix per call (5 GB/s, where a
/// streaming kernel reads 15-20 GB/s per core). Here every output is one fixed sequence of operations:
/// eight lanes, lane k summing x[8c+k] * w[8c+k] over c in order (multiply, then add: Swift never
/// fuses), the lanes added in one fixed tree, the tail after. Which rows, outputs or threads a call has
/// only decides which outputs are computed together, never how one is computed.
///
/// Weights are output-major, (OC, IC): one contiguous row per output (DecodeWeights transposes the
/// Conv1D matrices once; the tied LM head `wte` (V, C) is already in this form).
enum DecodeKernels {
    /// out[r, j] (R, ldOut) = dot(x[r] (IC), w[j] (IC)) for j in `outputs`, plus bias[j] when given,
    /// plus residual[r, j] (stride ldOut) when given, in that order. R rows at stride ldX.
    static func dots(out: UnsafeMutablePointer<Float>, ldOut: Int, x: UnsafePointer<Float>, ldX: Int, rows R: Int,
                     w: UnsafePointer<Float>, IC: Int, outputs: Range<Int>, bias: UnsafePointer<Float>?,
                     residual: UnsafePointer<Float>?) {
        @inline(__always) func finish(_ r: Int, _ j: Int, _ value: Float) {
            var v = value
            if let bias { v += bias[j] }
            if let residual { v = residual[r * ldOut + j] + v }
            out[r * ldOut + j] = v
        }
        // Blocked for the caches: outputs in tiles of about 128 KB of weights and rows in panels of
        // about 512 KB of inputs, so a tile read once from memory serves a whole panel from L2.
        let tile = max(4, ((1 << 15) / max(IC, 1)) & ~3)
        let panel = max(4, ((1 << 17) / max(IC, 1)) & ~3)
        var p0 = 0
        while p0 < R {
            let p1 = min(R, p0 + panel)
            var t0 = outputs.lowerBound
            while t0 < outputs.upperBound {
                let t1 = min(outputs.upperBound, t0 + tile)
                var r = p0
                while r + 4 <= p1 {
                    rowBlock(r, t0..<t1)
                    r += 4
                }
                while r < p1 {
                    singleRow(r, t0..<t1)
                    r += 1
                }
                t0 = t1
            }
            p0 = p1
        }

        // Four rows share each weight load (batches: compute-bound).
        @inline(__always) func rowBlock(_ r: Int, _ js: Range<Int>) {
            let x0 = x + r * ldX, x1 = x0 + ldX, x2 = x1 + ldX, x3 = x2 + ldX
            for j in js {
                let wj = w + j * IC
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var i = 0
                while i + 8 <= IC {
                    let wv = load8(wj + i)
                    a0 += load8(x0 + i) * wv; a1 += load8(x1 + i) * wv
                    a2 += load8(x2 + i) * wv; a3 += load8(x3 + i) * wv
                    i += 8
                }
                finish(r, j, tail(lanes(a0), x0, wj, i, IC))
                finish(r + 1, j, tail(lanes(a1), x1, wj, i, IC))
                finish(r + 2, j, tail(lanes(a2), x2, wj, i, IC))
                finish(r + 3, j, tail(lanes(a3), x3, wj, i, IC))
            }
        }

        // One row, four outputs sharing each input load (batch 1: memory-bound, four weight streams
        // in flight).
        @inline(__always) func singleRow(_ r: Int, _ js: Range<Int>) {
            let xr = x + r * ldX
            var j = js.lowerBound
            while j + 4 <= js.upperBound {
                let w0 = w + j * IC, w1 = w0 + IC, w2 = w1 + IC, w3 = w2 + IC
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var i = 0
                while i + 8 <= IC {
                    let xv = load8(xr + i)
                    a0 += load8(w0 + i) * xv; a1 += load8(w1 + i) * xv
                    a2 += load8(w2 + i) * xv; a3 += load8(w3 + i) * xv
                    i += 8
                }
                finish(r, j, tail(lanes(a0), xr, w0, i, IC))
                finish(r, j + 1, tail(lanes(a1), xr, w1, i, IC))
                finish(r, j + 2, tail(lanes(a2), xr, w2, i, IC))
                finish(r, j + 3, tail(lanes(a3), xr, w3, i, IC))
                j += 4
            }
            while j < js.upperBound {
                let wj = w + j * IC
                var a0 = SIMD8<Float>()
                var i = 0
                while i + 8 <= IC { a0 += load8(xr + i) * load8(wj + i); i += 8 }
                finish(r, j, tail(lanes(a0), xr, wj, i, IC))
                j += 1
            }
        }
    }

    /// The eight lanes added in one fixed tree.
    @inline(__always)
    static func lanes(_ a: SIMD8<Float>) -> Float {
        let h = a.lowHalf + a.highHalf
        return (h[0] + h[2]) + (h[1] + h[3])
    }

    /// Adds the products past the last full eight, in order.
    @inline(__always)
    static func tail(_ sum: Float, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ from: Int, _ IC: Int) -> Float {
        var s = sum
        var i = from
        while i < IC { s += x[i] * w[i]; i += 1 }
        return s
    }

    /// `dots` over all outputs, split over the workers in fixed chunks of outputs when the product is
    /// large enough to pay for waking them (the split never changes a result).
    static func parallelDots(name: String, out: UnsafeMutablePointer<Float>, ldOut: Int, x: UnsafePointer<Float>, ldX: Int, rows R: Int,
                             w: UnsafePointer<Float>, IC: Int, OC: Int, bias: UnsafePointer<Float>?,
                             residual: UnsafePointer<Float>?) {
        let minimum = max(16, (1 << 17) / max(1, R * IC))
        Profile.measure(name) {
            Parallel.forRanges(OC, minimum: minimum) { outputs in
                dots(out: out, ldOut: ldOut, x: x, ldX: ldX, rows: R, w: w, IC: IC, outputs: outputs, bias: bias,
                     residual: residual)
            }
        }
    }

    /// One query against its cached keys and values (positions 0 ... last): out (HS) =
    /// sum over t of softmax(q . k_t / sqrt(HS)) v_t. `keys` is (HS, S) (transposed), `values` (S, HS);
    /// `scores` is scratch of at least last + 1 floats.
    @inline(__always)
    static func attend(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, keys: UnsafePointer<Float>, S: Int,
                       values: UnsafePointer<Float>, last: Int, HS: Int, scale: Float,
                       scores: UnsafeMutablePointer<Float>) {
        let n = last + 1
        // scores[t] = sum over d of q[d] * k[d, t], d in order; then times the scale.
        scores.update(repeating: 0, count: n)
        for d in 0..<HS {
            let qd = SIMD8<Float>(repeating: q[d]), row = keys + d * S
            var t = 0
            while t + 8 <= n { store8(scores + t, load8(scores + t) + qd * load8(row + t)); t += 8 }
            while t < n { scores[t] += q[d] * row[t]; t += 1 }
        }
        let vs = SIMD8<Float>(repeating: scale)
        var t = 0
        while t + 8 <= n { store8(scores + t, load8(scores + t) * vs); t += 8 }
        while t < n { scores[t] *= scale; t += 1 }
        Attention.softmaxCausalRow(scores, n, n)
        // out = sum over t of p_t v_t, t in order, 32 dimensions at a time held in registers.
        var d0 = 0
        while d0 + 32 <= HS {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for t in 0..<n {
                let p = SIMD8<Float>(repeating: scores[t]), v = values + t * HS + d0
                a0 += p * load8(v); a1 += p * load8(v + 8); a2 += p * load8(v + 16); a3 += p * load8(v + 24)
            }
            store8(out + d0, a0); store8(out + d0 + 8, a1); store8(out + d0 + 16, a2); store8(out + d0 + 24, a3)
            d0 += 32
        }
        while d0 + 8 <= HS {
            var a0 = SIMD8<Float>()
            for t in 0..<n { a0 += SIMD8<Float>(repeating: scores[t]) * load8(values + t * HS + d0) }
            store8(out + d0, a0)
            d0 += 8
        }
        while d0 < HS {
            var a: Float = 0
            for t in 0..<n { a += scores[t] * values[t * HS + d0] }
            out[d0] = a
            d0 += 1
        }
    }
}
