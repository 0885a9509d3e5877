/// GPT-2's forward pass over a key/value cache: `run` feeds R new tokens, each belonging to a
/// sequence at a position (several rows of one sequence at consecutive positions for a prompt, one row
/// per sequence when decoding), stores their keys and values, and writes next-token logits for the
/// rows asked for. Every product is one of DecodeKernels' products and attention reads one row's
/// own sequence only, so a row's numbers do not depend on the other rows or on the thread count (the
/// batched sgemm forward pass gives no such promise: its splits change the last bits).
final class IncrementalDecoder {
    let model: GPT2
    let weights: DecodeWeights
    let cache: KVCache
    /// Most rows one `run` takes.
    let capacity: Int
    // Scratch for up to `capacity` rows:
    private let scratch: FloatBuffer
    private let x: UnsafeMutablePointer<Float>        // (R, C) residual stream
    private let ln: UnsafeMutablePointer<Float>       // (R, C) LayerNorm output
    private let qkv: UnsafeMutablePointer<Float>      // (R, 3C)
    private let atty: UnsafeMutablePointer<Float>     // (R, C)
    private let fch: UnsafeMutablePointer<Float>      // (R, I)
    private let statistics: UnsafeMutablePointer<Float>  // (2R) LayerNorm mean and rstd (not needed after)
    private let scores: UnsafeMutablePointer<Float>   // (16, S) attention scratch, one row per worker chunk
    private let gathered: UnsafeMutablePointer<Float> // (B, C) final hidden states of the logit rows
    /// (B, V): the last call's logits, row i for `logitRows[i]`.
    let logits: UnsafeMutablePointer<Float>

    init(model: GPT2, weights: DecodeWeights, sequences B: Int, positions S: Int, rows capacity: Int) {
        let config = model.config
        let C = config.channels, I = config.innerSize, V = config.vocabSize
        self.model = model
        self.weights = weights
        self.capacity = capacity
        cache = KVCache(config: config, sequences: B, positions: S)
        scratch = FloatBuffer(count: capacity * (6 * C + I + 2) + 16 * cache.paddedS + B * (C + 2 * V))
        var next = scratch.pointer
        func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { next += n }; return next }
        x = take(capacity * C); ln = take(capacity * C); qkv = take(capacity * 3 * C); atty = take(capacity * C)
        fch = take(capacity * I); statistics = take(2 * capacity); scores = take(16 * cache.paddedS)
        gathered = take(B * C); logits = take(B * V); promptLogits = take(B * V)
    }

    private let promptLogits: UnsafeMutablePointer<Float>  // (B, V) prefill's logits, by sequence

    /// Whether this decoder can serve a call of `sequences` sequences of up to `positions` positions
    /// whose prompts need `rows` rows, so a Sampler can keep one between calls: fresh buffers of this
    /// size cost thousands of page faults per call (10k, about 5% of a small batch-16 call, measured).
    /// A larger cache than needed changes no number: every read goes through its accessors.
    func fits(sequences: Int, positions: Int, rows: Int) -> Bool {
        cache.fits(model.config, sequences: sequences, positions: positions) && rows <= capacity
    }

    /// Every prompt as its sequence's first tokens (positions 0 ..< count), in calls of at most
    /// `capacity` rows (a prompt may be split between calls: its later rows read the earlier ones from
    /// the cache, the same numbers either way). Leaves row b of `logits` for sequence b.
    func prefill(prompts: [[Int]]) {
        let V = model.config.vocabSize
        var tokens: [Int] = [], sequences: [Int] = [], positions: [Int] = []
        func flush() {
            let last = tokens.indices.filter { r in positions[r] == prompts[sequences[r]].count - 1 }
            run(tokens: tokens, sequences: sequences, positions: positions, logitRows: last)
            for (i, r) in last.enumerated() { (promptLogits + sequences[r] * V).update(from: logits + i * V, count: V) }
            tokens.removeAll(keepingCapacity: true)
            sequences.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
        }
        for (b, prompt) in prompts.enumerated() {
            for (t, id) in prompt.enumerated() {
                tokens.append(id); sequences.append(b); positions.append(t)
                if tokens.count == capacity { flush() }
            }
        }
        if !tokens.isEmpty { flush() }
        logits.update(from: promptLogits, count: prompts.count * V)
    }

    /// Row r: sequence `sequences[r]` receives `tokens[r]` at `positions[r]` (its cache holds positions
    /// 0 ..< positions[r], or they come in earlier rows of this call). Writes row i of `logits` for row
    /// `logitRows[i]`.
    func run(tokens: [Int], sequences: [Int], positions: [Int], logitRows: [Int]) {
        let config = model.config
        let C = config.channels, I = config.innerSize, V = config.vocabSize
        let R = tokens.count
        precondition(R <= capacity && logitRows.count <= cache.B, "more rows than the decoder was made for")
        let p = model.params, w = weights
        for r in 0..<R {
            w.embed(model, token: tokens[r], into: x + r * C)
            vectorAdd(x + r * C, p.wpe + positions[r] * C, C)
        }
        for l in 0..<config.layers {
            layerNorm(weight: p.ln1w + l * C, bias: p.ln1b + l * C, rows: R)
            DecodeKernels.parallelDots(name: "decode.qkv", out: qkv, ldOut: 3 * C, x: ln, ldX: C, rows: R,
                                       w: w.qkv(l), bias: p.qkvb + l * 3 * C, residual: nil)
            for r in 0..<R {
                cache.store(layer: l, sequence: sequences[r], position: positions[r], qkvRow: qkv + r * 3 * C)
            }
            attention(layer: l, sequences: sequences, positions: positions)
            // x = x + atty @ c_proj + bias, in place: each output reads only its own residual entry.
            DecodeKernels.parallelDots(name: "decode.attention_projection", out: x, ldOut: C, x: atty, ldX: C, rows: R,
                                       w: w.attentionProjection(l), bias: p.attprojb + l * C,
                                       residual: x)
            layerNorm(weight: p.ln2w + l * C, bias: p.ln2b + l * C, rows: R)
            DecodeKernels.parallelDots(name: "decode.fc", out: fch, ldOut: I, x: ln, ldX: C, rows: R,
                                       w: w.fc(l), bias: p.fcb + l * I, gelu: true, residual: nil)
            DecodeKernels.parallelDots(name: "decode.fc_projection", out: x, ldOut: C, x: fch, ldX: I, rows: R,
                                       w: w.fcProjection(l), bias: p.fcprojb + l * C, residual: x)
        }
        // The final LayerNorm and the tied head only for the rows whose next token is wanted.
        for (i, r) in logitRows.enumerated() {
            LayerNorm.forwardRow(out: gathered + i * C, mean: statistics, rstd: statistics + 1, inp: x + r * C,
                                 weight: p.lnfw, bias: p.lnfb, C: C, eps: config.layerNormEpsilon)
        }
        DecodeKernels.parallelDots(name: "decode.lm_head", out: logits, ldOut: V, x: gathered, ldX: C,
                                   rows: logitRows.count, w: w.head, bias: nil, residual: nil)
    }

    /// atty (R, C): each row's query against its own sequence's cache, one job per (row, head).
    private func attention(layer l: Int, sequences: [Int], positions: [Int]) {
        let NH = model.config.heads, HS = model.config.headSize, C = model.config.channels, S = cache.paddedS
        let scale = 1 / Float(HS).squareRoot()
        let cache = self.cache, qkv = self.qkv, atty = self.atty, scores = self.scores
        let jobs = positions.count * NH, jobWork = (positions.max() ?? 0) * HS + HS
        let chunks = Parallel.chunkCount(jobs, minimum: max(1, (1 << 15) / jobWork))
        Profile.measure("decode.attention") {
            Parallel.forEach(chunks) { chunk in
                for job in Parallel.range(chunk, of: chunks, total: jobs) {
                    let r = job / NH, h = job % NH, b = sequences[r]
                    DecodeKernels.attend(out: atty + r * C + h * HS, q: qkv + r * 3 * C + h * HS, keys: cache.keys(l, b, h),
                                         values: cache.values(l, b, h), last: positions[r], HS: HS, scale: scale,
                                         scores: scores + chunk * S)
                }
            }
        }
    }

    /// ln (R, C) = LayerNorm(x) with the given gain and bias.
    private func layerNorm(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows R: Int) {
        let C = model.config.channels, eps = model.config.layerNormEpsilon
        let ln = self.ln, x = self.x, statistics = self.statistics
        Profile.measure("decode.layernorm") {
            Parallel.forRanges(R, minimum: max(1, 16_384 / C)) { rows in
                for r in rows {
                    LayerNorm.forwardRow(out: ln + r * C, mean: statistics + r, rstd: statistics + R + r,
                                         inp: x + r * C, weight: weight, bias: bias, C: C, eps: eps)
                }
            }
        }
    }
}
