/// B sequences of token ids in a (B, T) grid, each with its own length. Entries at or past a
/// sequence's length are padding: never read, so any pad id (even one outside the vocabulary) is fine.
public struct TokenBatch: Sendable, Equatable {
    /// B
    public let batchSize: Int
    /// T
    public let sequenceLength: Int
    /// (B, T) row-major.
    public var tokens: [Int32]
    /// Per sequence, in 1...T.
    public var lengths: [Int]

    public init(batchSize: Int, sequenceLength: Int, tokens: [Int32], lengths: [Int]? = nil) {
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.tokens = tokens
        self.lengths = lengths ?? Array(repeating: sequenceLength, count: batchSize)
    }

    /// Sequences of different lengths, right-padded with `pad` to the longest (or to `sequenceLength`).
    public init(sequences: [[Int]], sequenceLength: Int? = nil, pad: Int32 = 0) {
        let T = sequenceLength ?? sequences.map(\.count).max() ?? 0
        var tokens = [Int32](repeating: pad, count: sequences.count * T)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.prefix(T).enumerated() { tokens[b * T + t] = Int32(truncatingIfNeeded: id) }
        }
        self.init(batchSize: sequences.count, sequenceLength: T, tokens: tokens,
                  lengths: sequences.map { min($0.count, T) })
    }

    /// Number of (b, t) positions that hold real tokens.
    public var tokenCount: Int { lengths.reduce(0, +) }

    func validate(_ config: GPT2Config) throws(ModelError) {
        let B = batchSize, T = sequenceLength
        if B < 1 || T < 1 { throw .invalidBatch("a batch needs at least one sequence of at least one token") }
        if T > config.contextLength { throw .sequenceTooLong(length: T, contextLength: config.contextLength) }
        if tokens.count != B * T { throw .invalidBatch("\(tokens.count) token ids for a (\(B), \(T)) batch") }
        if lengths.count != B { throw .invalidBatch("\(lengths.count) lengths for \(B) sequences") }
        for (b, length) in lengths.enumerated() where length < 1 || length > T {
            throw .invalidBatch("sequence \(b) has length \(length); lengths must be in 1...\(T)")
        }
        for b in 0..<B {
            for t in 0..<lengths[b] {
                let id = Int(tokens[b * T + t])
                if id < 0 || id >= config.vocabSize { throw .tokenOutOfRange(id: id, position: t, vocabSize: config.vocabSize) }
            }
        }
    }
}
