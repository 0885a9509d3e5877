import RLHFModel

/// One sequence for next-token training, in Hugging Face's terms: `tokens` are the model's inputs
/// (`input_ids`), `labels` what each position should hold (unshifted, so normally equal to `tokens`),
/// and `countedLabels` the label indices whose prediction counts in the loss (the others are
/// transformers' -100). Position t is trained to predict `labels[t + 1]`.
public struct LanguageModelExample: Sendable, Equatable {
    /// Identifies the source (a completion id, or a packed piece's index); not read by training.
    public var id: Int64
    public var tokens: [Int]
    public var labels: [Int]
    /// Label indices that count, within 1..<tokens.count (label 0 has no context to be predicted from).
    public var countedLabels: Range<Int>

    public init(id: Int64, tokens: [Int], labels: [Int]? = nil, countedLabels: Range<Int>) {
        precondition(countedLabels.lowerBound >= 1 && countedLabels.upperBound <= tokens.count, "counted labels outside the sequence")
        self.id = id
        self.tokens = tokens
        self.labels = labels ?? tokens
        self.countedLabels = countedLabels
    }

    /// SFT: the targets from the first completion token through end-of-text (TRL's
    /// `completion_only_loss`), exactly the serialiser's `targetPositions` shifted by one.
    public init(id: Int64, serialized: SerializedExample) {
        self.init(id: id, tokens: serialized.tokens,
                  countedLabels: max(1, serialized.completionStart)..<serialized.tokens.count)
    }

    /// Pretraining: every next token counts.
    public init(id: Int64, piece: [Int]) {
        self.init(id: id, tokens: piece, countedLabels: 1..<piece.count)
    }

    public var countedCount: Int { countedLabels.count }
}

/// Turns examples into a (B, T) micro-batch padded to its longest sequence, with the target of position
/// t = labels[t + 1] when that label counts and -1 (no target) everywhere else, padding included.
public enum LanguageModelCollator {
    public static func collate(_ examples: [LanguageModelExample]) -> LanguageModelMicroBatch {
        let batch = TokenBatch(sequences: examples.map(\.tokens))
        let T = batch.sequenceLength
        var targets = [Int32](repeating: -1, count: examples.count * T)
        for (b, example) in examples.enumerated() {
            for label in example.countedLabels { targets[b * T + label - 1] = Int32(example.labels[label]) }
        }
        return LanguageModelMicroBatch(batch: batch, targets: targets)
    }
}

/// Pretraining data as TRL packs it: documents joined with end-of-text after each (GPT-2's convention),
/// the stream cut into pieces of `length` tokens that overlap by one, so every adjacent pair of tokens
/// in the stream is one counted target exactly once. The last piece may be shorter (at least 2 tokens).
public enum TextPacking {
    public static func pieces(documents: [[Int]], endOfText: Int, length: Int) -> [[Int]] {
        precondition(length >= 2)
        var stream: [Int] = []
        stream.reserveCapacity(documents.reduce(0) { $0 + $1.count + 1 })
        for document in documents {
            stream += document
            stream.append(endOfText)
        }
        var pieces: [[Int]] = []
        var start = 0
        while start + 1 < stream.count {
            pieces.append(Array(stream[start..<min(stream.count, start + length)]))
            start += length - 1
        }
        return pieces
    }
}
