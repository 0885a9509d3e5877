import RLHFModel

/// Running a reward model over sequences: each sequence's reward is the scalar head at its read position
/// (the serialiser's end index), never at a position found by searching for a pad token.
public enum RewardForward {
    /// Attention keeps (B, NH, T, T) scores per layer for the backward pass even when none follows, so a
    /// forward chunk holds at most this many B * T^2 (64 sequences of 128 tokens; one of 1024).
    static let attentionBudget = 1 << 20

    /// Sequences in chunks of at most `microBatch` (fewer when long), longest first (each chunk pads little).
    static func chunks(_ sequences: [[Int]], microBatch: Int) -> [[Int]] {
        precondition(microBatch >= 1)
        let order = sequences.indices.sorted { sequences[$0].count != sequences[$1].count
            ? sequences[$0].count > sequences[$1].count : $0 < $1 }
        var result: [[Int]] = []
        var start = 0
        while start < order.count {
            let T = max(1, sequences[order[start]].count)
            let size = max(1, min(microBatch, attentionBudget / (T * T)))
            result.append(Array(order[start..<min(order.count, start + size)]))
            start += size
        }
        return result
    }

    /// Forward one chunk; returns its rewards in chunk order.
    static func forward(_ model: GPT2, _ chunk: [Int], _ sequences: [[Int]], _ readPositions: [Int]) throws -> [Float] {
        let positions = chunk.map { readPositions[$0] }
        // Only the read positions' final hidden states are needed (GPT2+ReadRows).
        try model.forward(TokenBatch(sequences: chunk.map { sequences[$0] }), readingOnlyAt: positions)
        return try model.scalars(at: positions)
    }

    /// Rewards of every sequence (forward only), in input order.
    public static func rewards(model: GPT2, sequences: [[Int]], readPositions: [Int], microBatch: Int) throws -> [Float] {
        var rewards = [Float](repeating: 0, count: sequences.count)
        for chunk in chunks(sequences, microBatch: microBatch) {
            for (i, r) in zip(chunk, try forward(model, chunk, sequences, readPositions)) { rewards[i] = r }
        }
        return rewards
    }
}

/// One reward-model step's gradients: zeroes the model's gradients, runs every distinct sequence of the
/// batch through the trunk, takes the objective over all judgements, and backpropagates d loss / d reward
/// through the scalar head (`HeadGradients.scalars`). When the batch needs more than one micro-batch, the
/// rewards of all of them must be known before any gradient is (a judgement may span two micro-batches),
/// so every micro-batch but the last is run forward a second time for its backward pass: 2k - 1 forward
/// passes for k micro-batches, and one when the batch fits.
public enum RewardStep {
    public struct Result: Sendable {
        public var objective: RewardObjective.Result
        public var rewards: [Double]
        public var tokens: Int
    }

    /// `microBatch`: at most this many sequences per forward pass, longest first; or `chunks`: the
    /// sequences (by index) of each forward pass, as the trainer's micro-batches of prompts give them.
    public static func accumulate(model: GPT2, batch: RewardBatch, objective: RewardObjective,
                                  logTieParameter: Double = 0, microBatch: Int = .max, chunks given: [[Int]]? = nil) throws -> Result {
        model.zeroGradients()
        let chunks = given ?? RewardForward.chunks(batch.sequences, microBatch: microBatch)
        var rewards = [Double](repeating: 0, count: batch.sequences.count)
        for chunk in chunks {
            for (i, r) in zip(chunk, try RewardForward.forward(model, chunk, batch.sequences, batch.readPositions)) {
                rewards[i] = Double(r)
            }
        }
        let result = objective.evaluate(rewards: rewards, comparisons: batch.comparisons, logTieParameter: logTieParameter)
        // The last chunk's activations are still in the model: its backward comes first, without a new forward.
        for (k, chunk) in chunks.enumerated().reversed() {
            if k != chunks.count - 1 {
                try model.forward(TokenBatch(sequences: chunk.map { batch.sequences[$0] }),
                                  readingOnlyAt: chunk.map { batch.readPositions[$0] })
            }
            let gradients = chunk.map { Float(result.dRewards[$0]) }
            if gradients.allSatisfy({ $0 == 0 }) { continue }
            let T = model.batch?.sequenceLength ?? 0
            model.backward(.scalars(at: chunk.map { batch.readPositions[$0] }, gradients: gradients,
                                    batchSize: chunk.count, sequenceLength: T))
        }
        return Result(objective: result, rewards: rewards, tokens: batch.tokenCount)
    }
}
