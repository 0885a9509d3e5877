/// The model's matrices repacked once into PackedMatrix panels for the decoding kernels
/// (DecodeKernels.swift). A snapshot: after the model's parameters change (an optimizer step), build a
/// new `Sampler`. Costs one more copy of every matrix including the tied head (gpt2: 124M floats,
/// 497 MB); embeddings, biases and LayerNorms are read from the model.
final class DecodeWeights {
    let storage: FloatBuffer
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

    init(_ model: GPT2) {
        let C = model.config.channels, L = model.config.layers, I = model.config.innerSize, V = model.config.vocabSize
        let shapes = [(C, 3 * C), (C, C), (C, I), (I, C)]
        let perLayer = shapes.reduce(0) { $0 + PackedMatrix.count(IC: $1.0, OC: $1.1) }
        storage = FloatBuffer(count: L * perLayer + PackedMatrix.count(IC: C, OC: V))
        var next = storage.pointer
        func take(IC: Int, OC: Int) -> (UnsafeMutablePointer<Float>, PackedMatrix) {
            defer { next += PackedMatrix.count(IC: IC, OC: OC) }
            return (next, PackedMatrix(pointer: next, IC: IC, OC: OC))
        }
        let p = model.params
        var matrices: [[PackedMatrix]] = [[], [], [], []]
        let sources = [p.qkvw, p.attprojw, p.fcw, p.fcprojw]
        for l in 0..<L {
            for (i, (IC, OC)) in shapes.enumerated() {
                let (destination, matrix) = take(IC: IC, OC: OC)
                PackedMatrix.pack(inputMajor: sources[i] + l * IC * OC, IC: IC, OC: OC, into: destination)
                matrices[i].append(matrix)
            }
        }
        qkv = matrices[0]; attentionProjection = matrices[1]; fc = matrices[2]; fcProjection = matrices[3]
        let (destination, matrix) = take(IC: C, OC: V)
        PackedMatrix.pack(outputMajor: p.wte, IC: C, OC: V, into: destination)
        head = matrix
    }
}
