import CPrefetch
import RLHFKernelsAVX512

/// The matrix products of one decoding step, written as our own fused multiply-add kernels rather
/// than sgemm. Why: a sampled sequence must not depend on the batch it is in (issue 9), so each output
/// must be the same float whatever the number of rows beside it. OpenBLAS does not promise that:
/// measured with 0.3.21 on SkylakeX kernels, a row of an M=1 sgemm differs in its last bits from the
/// same row in an M=2..64 product, and sgemm at M=1 repacks the whole weight matrix per call.
/// Here every output is one fixed sequence of operations: out[r, j] = fma(x[r, K-1], w[K-1, j], ...
/// fma(x[r, 0], w[0, j], 0)), inputs in order, then + bias[j], then residual[r, j] + that. Which rows,
/// outputs or threads a call has only decides which outputs are computed together, never how one is.
///
/// Weights are PackedMatrix panels of 16 outputs. Rows go eight at a time against two panels where the
/// CPU has AVX-512 (RLHFKernelsAVX512: 16 zmm accumulators), four at a time against one panel otherwise
/// (a batch: each weight load serves several rows; compute-bound), and a lone row against four panels at
/// once (batch 1: four weight streams in flight; memory-bound). Measured on one core, R=16, IC=768,
/// OC=3072, weights in cache: AVX2 57-61 GFLOP/s, AVX-512 113-116, OpenBLAS sgemm 53-57; weights
/// streamed from memory: 40-45, 74-80. `multiplyAdd` is one FMA instruction because the target is
/// compiled for AVX2 + FMA (Package.swift).
enum DecodeKernels {
    /// How far ahead (in inputs, one 64-byte line of a panel each) the kernels ask for weights that
    /// stream from memory: the hardware prefetcher alone leaves the first block of rows waiting on DRAM.
    /// Measured in one session, alternating with no prefetch: small batch 16 +10% (AVX-512) and +17-25%
    /// (AVX2) at 128 (32 and 256 gave less); gpt2 batch 16 +13-39%; gpt2 batch 1 +8% at 32 (64 less).
    static let prefetchDistance = 128
    static let singleRowPrefetch = 32
    /// out[r, j] (R, ldOut) = x[r] (IC) . w[:, j] for the outputs of `panels`, plus bias[j] when
    /// given, then GELU when `gelu` (the MLP's first product: applied while the outputs are in registers
    /// instead of in a second pass), plus residual[r, j] (stride ldOut) when given, in that order. R rows
    /// at stride ldX. `wide` lets blocks of eight rows take the AVX-512 kernel (same bits; tests compare both).
    static func dots(out: UnsafeMutablePointer<Float>, ldOut: Int, x: UnsafePointer<Float>, ldX: Int, rows R: Int,
                     w: PackedMatrix, panels: Range<Int>, bias: UnsafePointer<Float>?, gelu: Bool = false,
                     residual: UnsafePointer<Float>?, wide: Bool = CPUFeatures.avx512) {
        switch w.storage {
        case .float32(let base):
            dots(out: out, ldOut: ldOut, x: x, ldX: ldX, rows: R, base: base, IC: w.IC, OC: w.OC, panels: panels,
                 bias: bias, gelu: gelu, residual: residual, wide: wide)
        case .bfloat16(let base):
            dots(out: out, ldOut: ldOut, x: x, ldX: ldX, rows: R, base: base, IC: w.IC, OC: w.OC, panels: panels,
                 bias: bias, gelu: gelu, residual: residual, wide: wide)
        }
    }

    /// `dots` over panels of E (float32, or bfloat16 widened as loaded: the same chains of FMAs over the
    /// widened weights). Specialised for each E, so the element type costs no call.
    private static func dots<E: PanelElement>(out: UnsafeMutablePointer<Float>, ldOut: Int, x: UnsafePointer<Float>, ldX: Int,
                                              rows R: Int, base: UnsafePointer<E>, IC K: Int, OC: Int, panels: Range<Int>,
                                              bias: UnsafePointer<Float>?, gelu: Bool, residual: UnsafePointer<Float>?, wide: Bool) {
        let width = PackedMatrix.width
        @inline(__always) func panel(_ p: Int) -> UnsafePointer<E> { base + p * width * K }
        // Writes 8 outputs starting at j of row r (fewer at the matrix's edge).
        @inline(__always) func finish(_ r: Int, _ j: Int, _ value: SIMD8<Float>) {
            var v = value
            let o = out + r * ldOut + j
            if j + 8 <= OC {
                if let bias { v += load8(bias + j) }
                if gelu { v = GELU.value(v) }
                if let residual { v = load8(residual + r * ldOut + j) + v }
                store8(o, v)
            } else {
                for c in 0..<max(0, OC - j) {
                    var s = v[c]
                    if let bias { s += bias[j + c] }
                    if gelu { s = GELU.value(SIMD8(repeating: s))[0] }
                    if let residual { s = residual[r * ldOut + j + c] + s }
                    o[c] = s
                }
            }
        }
        // Rows r ..< r+4 against panel p, over inputs `ks`: from zero when ks starts at 0, else from the
        // 4 x 16 partial sums saved in `partial`; saved there again unless ks reaches the end.
        @inline(__always) func fourRows(_ r: Int, _ p: Int, _ ks: Range<Int>, _ partial: UnsafeMutablePointer<Float>,
                                        prefetchAhead: Int) {
            let x0 = x + r * ldX, x1 = x0 + ldX, x2 = x1 + ldX, x3 = x2 + ldX
            var q = panel(p) + ks.lowerBound * width
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            if ks.lowerBound > 0 {
                a00 = load8(partial); a01 = load8(partial + 8); a10 = load8(partial + 16); a11 = load8(partial + 24)
                a20 = load8(partial + 32); a21 = load8(partial + 40); a30 = load8(partial + 48); a31 = load8(partial + 56)
            }
            let ahead = prefetchAhead * width
            for k in ks {
                if ahead > 0 { rlhf_prefetch(q + ahead) }
                let w0 = E.load8(q), w1 = E.load8(q + 8)
                let b0 = SIMD8<Float>(repeating: x0[k]), b1 = SIMD8<Float>(repeating: x1[k])
                multiplyAdd(&a00, b0, w0); multiplyAdd(&a01, b0, w1)
                multiplyAdd(&a10, b1, w0); multiplyAdd(&a11, b1, w1)
                let b2 = SIMD8<Float>(repeating: x2[k]), b3 = SIMD8<Float>(repeating: x3[k])
                multiplyAdd(&a20, b2, w0); multiplyAdd(&a21, b2, w1)
                multiplyAdd(&a30, b3, w0); multiplyAdd(&a31, b3, w1)
                q += width
            }
            if ks.upperBound < K {
                store8(partial, a00); store8(partial + 8, a01); store8(partial + 16, a10); store8(partial + 24, a11)
                store8(partial + 32, a20); store8(partial + 40, a21); store8(partial + 48, a30); store8(partial + 56, a31)
                return
            }
            let j = p * width
            finish(r, j, a00); finish(r, j + 8, a01); finish(r + 1, j, a10); finish(r + 1, j + 8, a11)
            finish(r + 2, j, a20); finish(r + 2, j + 8, a21); finish(r + 3, j, a30); finish(r + 3, j + 8, a31)
        }
        // Row r against panels p ..< p+4.
        @inline(__always) func fourPanels(_ r: Int, _ p: Int) {
            let xr = x + r * ldX
            var q0 = panel(p), q1 = panel(p + 1), q2 = panel(p + 2), q3 = panel(p + 3)
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
            let ahead = DecodeKernels.singleRowPrefetch * width
            for k in 0..<K {
                if ahead > 0 { rlhf_prefetch(q0 + ahead); rlhf_prefetch(q1 + ahead); rlhf_prefetch(q2 + ahead); rlhf_prefetch(q3 + ahead) }
                let b = SIMD8<Float>(repeating: xr[k])
                multiplyAdd(&a00, b, E.load8(q0)); multiplyAdd(&a01, b, E.load8(q0 + 8))
                multiplyAdd(&a10, b, E.load8(q1)); multiplyAdd(&a11, b, E.load8(q1 + 8))
                multiplyAdd(&a20, b, E.load8(q2)); multiplyAdd(&a21, b, E.load8(q2 + 8))
                multiplyAdd(&a30, b, E.load8(q3)); multiplyAdd(&a31, b, E.load8(q3 + 8))
                q0 += width; q1 += width; q2 += width; q3 += width
            }
            let j = p * width
            finish(r, j, a00); finish(r, j + 8, a01); finish(r, j + 16, a10); finish(r, j + 24, a11)
            finish(r, j + 32, a20); finish(r, j + 40, a21); finish(r, j + 48, a30); finish(r, j + 56, a31)
        }
        // Row r against panel p alone.
        @inline(__always) func onePanel(_ r: Int, _ p: Int) {
            let xr = x + r * ldX
            var q = panel(p)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            for k in 0..<K {
                let b = SIMD8<Float>(repeating: xr[k])
                multiplyAdd(&a0, b, E.load8(q)); multiplyAdd(&a1, b, E.load8(q + 8))
                q += width
            }
            finish(r, p * width, a0); finish(r, p * width + 8, a1)
        }
        // Rows 0 ..< rows8 in 8-row blocks against pairs of panels (AVX-512), then rows8 ..< rows4 in
        // 4-row blocks against one panel, then single rows against four panels at once.
        let rows8 = wide ? R & ~7 : 0, rows4 = R & ~3
        // A panel (or pair) serves its rows in superblocks of two 8-row or four 4-row blocks, a chunk of
        // 128 inputs at a time: the chunk comes from memory for the first block and from L1 for the
        // others, so the weight stream overlaps with the arithmetic (weights not in cache, R=16,
        // IC=768, OC=3072, one core, AVX2: 40 -> 42 GFLOP/s).
        let chunk = 128
        let prefetchDistance = DecodeKernels.prefetchDistance
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 2 * width) { scratch in
            let partial = scratch.baseAddress!
            // Rows r ..< r+8 (partial sums in `partial`) finished from the AVX-512 kernel's sums.
            func finishEight(_ r: Int, _ p: Int, _ sums: UnsafePointer<Float>) {
                for i in 0..<8 {
                    let row = sums + i * 2 * width, j = p * width
                    finish(r + i, j, load8(row)); finish(r + i, j + 8, load8(row + 8))
                    finish(r + i, j + 16, load8(row + 16)); finish(r + i, j + 24, load8(row + 24))
                }
            }
            var p0 = panels.lowerBound
            while p0 < panels.upperBound {
                let p1 = min(panels.upperBound, p0 + 4)
                if rows8 > 0 {
                    var p = p0
                    while p + 2 <= p1 {
                        var r = 0
                        while r < rows8 {
                            let r1 = min(rows8, r + 16), step = r1 - r > 8 ? chunk : K
                            // Two blocks: each asks for one panel's next lines, so the stream from memory
                            // runs through both blocks instead of stalling the first while the second idles
                            // it (gpt2 batch 16 +10-13% in alternating runs; small batch 16 unchanged).
                            let split = r1 - r == 16
                            var k0 = 0
                            while k0 < K {
                                let k1 = min(K, k0 + step)
                                var block = r
                                while block < r1 {
                                    E.eightRowsTwoPanels(x: x + block * ldX, ldX: ldX, panel0: panel(p),
                                                         panel1: panel(p + 1), ks: k0..<k1,
                                                                     sums: partial + (block - r) * 2 * width,
                                                                     prefetchAhead: split || block == r ? prefetchDistance : 0,
                                                                     prefetchFirst: !split || block == r,
                                                                     prefetchSecond: !split || block != r)
                                    block += 8
                                }
                                k0 = k1
                            }
                            var block = r
                            while block < r1 { finishEight(block, p, partial + (block - r) * 2 * width); block += 8 }
                            r = r1
                        }
                        p += 2
                    }
                    if p < p1 { fourRowBlocks(p, 0..<rows8, partial) }
                }
                for p in p0..<p1 { fourRowBlocks(p, rows8..<rows4, partial) }
                for r in rows4..<R {
                    if p1 - p0 == 4 { fourPanels(r, p0) } else { for p in p0..<p1 { onePanel(r, p) } }
                }
                p0 = p1
            }
        }
        // Rows in `rows` (a multiple of 4 long) against panel p in 4-row blocks.
        func fourRowBlocks(_ p: Int, _ rows: Range<Int>, _ partial: UnsafeMutablePointer<Float>) {
            var r = rows.lowerBound
            while r < rows.upperBound {
                let r1 = min(rows.upperBound, r + 16), step = r1 - r > 4 ? chunk : K
                var k0 = 0
                while k0 < K {
                    let k1 = min(K, k0 + step)
                    var block = r
                    while block < r1 {
                        fourRows(block, p, k0..<k1, partial + (block - r) * width, prefetchAhead: block == r ? prefetchDistance : 0)
                        block += 4
                    }
                    k0 = k1
                }
                r = r1
            }
        }
    }

    /// The eight lanes added in one fixed tree.
    @inline(__always)
    static func lanes(_ a: SIMD8<Float>) -> Float {
        let h = a.lowHalf + a.highHalf
        return (h[0] + h[2]) + (h[1] + h[3])
    }

    /// `dots` over all outputs, split over the workers in fixed chunks of panels when the product is
    /// large enough to pay for waking them (the split never changes a result).
    static func parallelDots(name: String, out: UnsafeMutablePointer<Float>, ldOut: Int, x: UnsafePointer<Float>, ldX: Int, rows R: Int,
                             w: PackedMatrix, bias: UnsafePointer<Float>?, gelu: Bool = false, residual: UnsafePointer<Float>?) {
        // At least ~128 KFLOP per chunk, in whole groups of four panels.
        let groups = (w.panels + 3) / 4
        let minimum = max(1, (1 << 16) / max(1, R * w.IC * 4 * PackedMatrix.width))
        Profile.measure(name) {
            Parallel.forRanges(groups, minimum: minimum) { range in
                dots(out: out, ldOut: ldOut, x: x, ldX: ldX, rows: R, w: w,
                     panels: (range.lowerBound * 4)..<min(w.panels, range.upperBound * 4), bias: bias, gelu: gelu,
                     residual: residual)
            }
        }
    }

    /// One query against its cached keys and values (positions 0 ... last): out (HS) =
    /// sum over t of softmax(q . k_t / sqrt(HS)) v_t. `keys` are KVCache tiles of (HS, 8) positions,
    /// `values` (positions, HS); `scores` is scratch of at least last + 1 rounded up to 8 floats.
    /// Every score is one FMA chain over the head dimensions in order and every output one chain over
    /// the positions in order; eight chains run side by side so the FMA latency is hidden.
    @inline(__always)
    static func attend(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, keys: UnsafePointer<Float>,
                       values: UnsafePointer<Float>, last: Int, HS: Int, scale: Float,
                       scores: UnsafeMutablePointer<Float>) {
        let n = last + 1, tile = KVCache.tile, tileStride = HS * tile
        let tiles = (n + tile - 1) / tile
        let vs = SIMD8<Float>(repeating: scale)
        var i = 0
        while i + 8 <= tiles {
            let k = keys + i * tileStride
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            for d in 0..<HS {
                let qd = SIMD8<Float>(repeating: q[d]), p = k + d * tile
                multiplyAdd(&a0, qd, load8(p)); multiplyAdd(&a1, qd, load8(p + tileStride))
                multiplyAdd(&a2, qd, load8(p + 2 * tileStride)); multiplyAdd(&a3, qd, load8(p + 3 * tileStride))
                multiplyAdd(&a4, qd, load8(p + 4 * tileStride)); multiplyAdd(&a5, qd, load8(p + 5 * tileStride))
                multiplyAdd(&a6, qd, load8(p + 6 * tileStride)); multiplyAdd(&a7, qd, load8(p + 7 * tileStride))
            }
            let o = scores + i * tile
            store8(o, a0 * vs); store8(o + 8, a1 * vs); store8(o + 16, a2 * vs); store8(o + 24, a3 * vs)
            store8(o + 32, a4 * vs); store8(o + 40, a5 * vs); store8(o + 48, a6 * vs); store8(o + 56, a7 * vs)
            i += 8
        }
        while i + 4 <= tiles {
            let k = keys + i * tileStride
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for d in 0..<HS {
                let qd = SIMD8<Float>(repeating: q[d]), p = k + d * tile
                multiplyAdd(&a0, qd, load8(p)); multiplyAdd(&a1, qd, load8(p + tileStride))
                multiplyAdd(&a2, qd, load8(p + 2 * tileStride)); multiplyAdd(&a3, qd, load8(p + 3 * tileStride))
            }
            let o = scores + i * tile
            store8(o, a0 * vs); store8(o + 8, a1 * vs); store8(o + 16, a2 * vs); store8(o + 24, a3 * vs)
            i += 4
        }
        while i < tiles {
            let k = keys + i * tileStride
            var a0 = SIMD8<Float>()
            for d in 0..<HS { multiplyAdd(&a0, SIMD8<Float>(repeating: q[d]), load8(k + d * tile)) }
            store8(scores + i * tile, a0 * vs)
            i += 1
        }
        Attention.softmaxCausalRow(scores, n, n)
        // out = sum over t of p_t v_t, t in order.
        var d0 = 0
        while d0 + 64 <= HS {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
            for t in 0..<n {
                let p = SIMD8<Float>(repeating: scores[t]), v = values + t * HS + d0
                multiplyAdd(&a0, p, load8(v)); multiplyAdd(&a1, p, load8(v + 8))
                multiplyAdd(&a2, p, load8(v + 16)); multiplyAdd(&a3, p, load8(v + 24))
                multiplyAdd(&a4, p, load8(v + 32)); multiplyAdd(&a5, p, load8(v + 40))
                multiplyAdd(&a6, p, load8(v + 48)); multiplyAdd(&a7, p, load8(v + 56))
            }
            let o = out + d0
            store8(o, a0); store8(o + 8, a1); store8(o + 16, a2); store8(o + 24, a3)
            store8(o + 32, a4); store8(o + 40, a5); store8(o + 48, a6); store8(o + 56, a7)
            d0 += 64
        }
        while d0 + 32 <= HS {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for t in 0..<n {
                let p = SIMD8<Float>(repeating: scores[t]), v = values + t * HS + d0
                multiplyAdd(&a0, p, load8(v)); multiplyAdd(&a1, p, load8(v + 8))
                multiplyAdd(&a2, p, load8(v + 16)); multiplyAdd(&a3, p, load8(v + 24))
            }
            store8(out + d0, a0); store8(out + d0 + 8, a1); store8(out + d0 + 16, a2); store8(out + d0 + 24, a3)
            d0 += 32
        }
        while d0 + 8 <= HS {
            var a0 = SIMD8<Float>()
            for t in 0..<n { multiplyAdd(&a0, SIMD8<Float>(repeating: scores[t]), load8(values + t * HS + d0)) }
            store8(out + d0, a0)
            d0 += 8
        }
        while d0 < HS {
            var a: Float = 0
            for t in 0..<n { multiplyAdd(&a, scores[t], values[t * HS + d0]) }
            out[d0] = a
            d0 += 1
        }
    }
}
