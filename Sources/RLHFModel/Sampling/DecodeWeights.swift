/// The model's matrices repacked once into PackedMatrix panels for the decoding kernels
/// (DecodeKernels.swift), in float32 or rounded to bfloat16 (`SamplingWeights`). A snapshot: after the
/// model's parameters change (an optimizer step), build a new `Sampler`. Costs one more copy of every
/// matrix including the tied head (gpt2: 124M weights, 497 MB in float32, 249 MB in bfloat16);
/// embeddings, biases and LayerNorms are read from the model.
final class DecodeWeights {
    let precision: SamplingWeights
    /// Holds the panels (float32 or bfloat16 elements).
    private let storage: UnsafeMutableRawPointer
    private let qkv: [PackedMatrix]                  // per layer, (C -> 3C)
    private let attentionProjection: [PackedMatrix]  // (C -> C)
    private let fc: [PackedMatrix]                   // (C -> I)
    private let fcProjection: [PackedMatrix]         // (I -> C)
    /// The tied LM head, wte (V, C), as a (C -> V) product.
    let head: PackedMatrix

    func qkv(_ l: Int) -> PackedMatrix { qkv[l] }
    func attentionProjection(_ l: Int) -> PackedMatrix { attentionProjection[l] }
    func fc(_ l: Int) -> PackedMatrix { fc[l] }
    func fcProjection(_ l: Int) -> PackedMatrix { fcProjection[l] }

    init(_ model: GPT2, precision: SamplingWeights = .float32) {
        self.precision = precision
        let C = model.config.channels, L = model.config.layers, I = model.config.innerSize, V = model.config.vocabSize
        let shapes = [(C, 3 * C), (C, C), (C, I), (I, C)]
        let perLayer = shapes.reduce(0) { $0 + PackedMatrix.count(IC: $1.0, OC: $1.1) }
        let elements = L * perLayer + PackedMatrix.count(IC: C, OC: V)
        let p = model.params
        let sources = [p.qkvw, p.attprojw, p.fcw, p.fcprojw]
        // Lays every matrix out in one allocation of E, blocks in order, then the head.
        func pack<E: PanelElement>(_: E.Type, _ make: (UnsafePointer<E>, Int, Int) -> PackedMatrix)
            -> (UnsafeMutableRawPointer, [[PackedMatrix]], PackedMatrix) {
            let base = UnsafeMutablePointer<E>.allocate(capacity: elements)
            var next = base
            var matrices: [[PackedMatrix]] = [[], [], [], []]
            for l in 0..<L {
                for (i, (IC, OC)) in shapes.enumerated() {
                    PackedMatrix.pack(inputMajor: sources[i] + l * IC * OC, IC: IC, OC: OC, into: next)
                    matrices[i].append(make(next, IC, OC))
                    next += PackedMatrix.count(IC: IC, OC: OC)
                }
            }
            PackedMatrix.pack(outputMajor: p.wte, IC: C, OC: V, into: next)
            return (UnsafeMutableRawPointer(base), matrices, make(next, C, V))
        }
        let packed = switch precision {
        case .float32: pack(Float.self) { PackedMatrix(pointer: $0, IC: $1, OC: $2) }
        case .bfloat16: pack(BFloat16.self) { PackedMatrix(bfloat16: $0, IC: $1, OC: $2) }
        }
        storage = packed.0
        qkv = packed.1[0]; attentionProjection = packed.1[1]; fc = packed.1[2]; fcProjection = packed.1[3]
        head = packed.2
    }

    deinit { storage.deallocate() }

    /// The token embedding row as the snapshot's model has it: wte's row, rounded like the head when
    /// the matrices are bfloat16 (wte is one tensor: the rounded model embeds with the rounded rows).
    func embed(_ model: GPT2, token: Int, into out: UnsafeMutablePointer<Float>) {
        let C = model.config.channels, row = model.params.wte + token * C
        switch precision {
        case .float32: out.update(from: row, count: C)
        case .bfloat16: for c in 0..<C { out[c] = BFloat16.rounded(row[c]) }
        }
    }
}
