/// The block matrices of a model, transposed once into output-major (OC, IC) form for the decoding
/// kernels (DecodeKernels.swift: one contiguous weight row per output). A snapshot: after the model's
/// parameters change (an optimizer step), build a new `Sampler`. Costs one more copy of the block
/// matrices (gpt2: 85M floats, 340 MB); embeddings, biases and LayerNorms are read from the model.
final class DecodeWeights {
    let storage: FloatBuffer
    let qkv: UnsafeMutablePointer<Float>          // (L, 3C, C)
    let attentionProjection: UnsafeMutablePointer<Float>  // (L, C, C)
    let fc: UnsafeMutablePointer<Float>           // (L, I, C)
    let fcProjection: UnsafeMutablePointer<Float> // (L, C, I)

    init(_ model: GPT2) {
        let C = model.config.channels, L = model.config.layers, I = model.config.innerSize
        storage = FloatBuffer(count: L * (3 * C * C + C * C + I * C + C * I))
        var next = storage.pointer
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { next += n }; return next }
        qkv = take(L * 3 * C * C)
        attentionProjection = take(L * C * C)
        fc = take(L * I * C)
        fcProjection = take(L * C * I)
        let p = model.params
        let jobs: [(UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int)] = [
            (p.qkvw, qkv, C, 3 * C), (p.attprojw, attentionProjection, C, C), (p.fcw, fc, C, I),
            (p.fcprojw, fcProjection, I, C),
        ]
        for (source, destination, IC, OC) in jobs {
            Parallel.forEach(L) { l in
                DecodeWeights.transpose(source + l * IC * OC, rows: IC, columns: OC, into: destination + l * IC * OC)
            }
        }
    }

    /// dst (columns, rows) = src (rows, columns)^T, in 32 x 32 tiles so both sides stay in cache.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<Float>) {
        let tile = 32
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + tile)
            var c0 = 0
            while c0 < columns {
                let c1 = min(columns, c0 + tile)
                for r in r0..<r1 {
                    for c in c0..<c1 { dst[c * rows + r] = src[r * columns + c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
