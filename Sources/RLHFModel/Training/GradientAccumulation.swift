/// One micro-batch of next-token training: the tokens and, per position, the target id (-1 for none:
/// prompt tokens in SFT, padding).
public struct LanguageModelMicroBatch: Sendable {
    public var batch: TokenBatch
    public var targets: [Int32]

    public init(batch: TokenBatch, targets: [Int32]) {
        self.batch = batch
        self.targets = targets
    }

    /// Positions that count in the loss.
    public var targetCount: Int {
        var n = 0
        let T = batch.sequenceLength
        for b in 0..<batch.batchSize {
            for t in 0..<batch.lengths[b] where targets[b * T + t] >= 0 { n += 1 }
        }
        return n
    }

    /// Plain next-token prediction over each sequence: target[t] = token[t + 1], none at the last token.
    public static func nextToken(_ batch: TokenBatch) -> LanguageModelMicroBatch {
        let T = batch.sequenceLength
        var targets = [Int32](repeating: -1, count: batch.tokens.count)
        for b in 0..<batch.batchSize where batch.lengths[b] > 1 {
            for t in 0..<(batch.lengths[b] - 1) { targets[b * T + t] = batch.tokens[b * T + t + 1] }
        }
        return LanguageModelMicroBatch(batch: batch, targets: targets)
    }
}

extension GPT2 {
    /// Gradients of the mean cross-entropy over every target of every micro-batch: each micro-batch's
    /// sum is divided by the total target count of all of them, so the result equals one big batch
    /// (not the mean of per-micro-batch means, which over-weights short micro-batches: the gradient
    /// accumulation bug transformers fixed in late 2024). Zeroes the gradients first.
    /// Returns the mean loss and the number of targets.
    @discardableResult
    public func accumulateCrossEntropy(_ microBatches: [LanguageModelMicroBatch]) throws(ModelError)
        -> (loss: Float, tokens: Int) {
        let total = microBatches.reduce(0) { $0 + $1.targetCount }
        zeroGradients()
        guard total > 0 else { return (0, 0) }
        var loss: Float = 0
        for micro in microBatches {
            try forward(micro.batch)
            let result = try crossEntropy(targets: micro.targets, normalizer: Float(total))
            loss += result.loss
            backward(result.gradients)
        }
        return (loss, total)
    }
}
