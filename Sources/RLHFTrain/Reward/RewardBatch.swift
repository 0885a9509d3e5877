import RLHFCore

/// One optimizer step's worth of whole prompt groups: the distinct sequences to run through the trunk
/// (each once) and the judgements between them, by position in `sequences`.
public struct RewardBatch: Sendable {
    public struct Comparison: Sendable, Equatable {
        public var first: Int
        public var second: Int
        public var outcome: PreferenceLoss.Outcome
        public var margin: Double
        public init(first: Int, second: Int, outcome: PreferenceLoss.Outcome, margin: Double = 0) {
            self.first = first
            self.second = second
            self.outcome = outcome
            self.margin = margin
        }
    }

    /// Token ids of each sequence.
    public var sequences: [[Int]]
    /// Where each sequence's reward is read: the serialiser's end index (its end-of-text token).
    public var readPositions: [Int]
    public var comparisons: [Comparison]

    public init(sequences: [[Int]], readPositions: [Int], comparisons: [Comparison]) {
        precondition(sequences.count == readPositions.count, "one read position per sequence")
        self.sequences = sequences
        self.readPositions = readPositions
        self.comparisons = comparisons
    }

    /// Tokens run through the trunk (the cost of the step).
    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }
}

extension RewardDataset {
    /// The groups packed into batches of at least `pairsPerBatch` judgements (a group is never split,
    /// so a batch may hold more; the last batch may hold fewer), groups in the given order.
    public func batches(order: [Int], pairsPerBatch: Int) -> [RewardBatch] {
        precondition(pairsPerBatch >= 1)
        var result: [RewardBatch] = []
        var current: [Int] = []
        var pairs = 0
        for g in order {
            current.append(g)
            pairs += groups[g].comparisons.count
            if pairs >= pairsPerBatch {
                result.append(batch(groups: current))
                current = []
                pairs = 0
            }
        }
        if !current.isEmpty { result.append(batch(groups: current)) }
        return result
    }

    /// Group order for one epoch: a seeded shuffle (Fisher-Yates), the same for the same seed and data.
    public func shuffledGroupOrder(random: inout SeededRandom) -> [Int] {
        var order = Array(groups.indices)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, random.nextInt(below: i + 1))
            }
        }
        return order
    }

    /// One step's batch from micro-batches of groups, and the sequences (by index in the batch) of each
    /// micro-batch's forward pass. A completion runs once even when a step draws its prompt twice (across
    /// an epoch boundary); its judgements then count twice, as that prompt's do in any batched epoch.
    public func batch(microBatches: [[Int]]) -> (batch: RewardBatch, chunks: [[Int]]) {
        var local: [Int: Int] = [:]
        var tokens: [[Int]] = [], positions: [Int] = []
        var comparisons: [RewardBatch.Comparison] = []
        var chunks: [[Int]] = []
        for micro in microBatches {
            var chunk: [Int] = []
            for g in micro {
                for s in groups[g].sequences where local[s] == nil {
                    local[s] = tokens.count
                    chunk.append(tokens.count)
                    tokens.append(sequences[s].tokens)
                    positions.append(sequences[s].endIndex)
                }
                for c in groups[g].comparisons {
                    comparisons.append(RewardBatch.Comparison(first: local[c.first]!, second: local[c.second]!,
                                                              outcome: c.outcome, margin: c.margin))
                }
            }
            if !chunk.isEmpty { chunks.append(chunk) }
        }
        return (RewardBatch(sequences: tokens, readPositions: positions, comparisons: comparisons), chunks)
    }

    /// The batch of the listed groups.
    public func batch(groups list: [Int]) -> RewardBatch { batch(microBatches: [list]).batch }
}
