import Foundation

/// log p(token[i] | tokens before it) for i >= 1 of one sequence, and the perplexity exp(-mean); what
/// `rlhf logprobs` prints.
public struct SequenceLogProbabilities: Equatable, Sendable {
    public let ids: [Int]
    /// One entry fewer than `ids`.
    public let logProbabilities: [Float]
    public let perplexity: Double

    public static func compute(model: GPT2, ids: [Int]) throws(ModelError) -> SequenceLogProbabilities {
        guard ids.count >= 2 else {
            throw .invalidBatch("need at least two tokens (the first is only context), got \(ids.count)")
        }
        for (position, id) in ids.enumerated() where id < 0 || id >= model.config.vocabSize {
            throw .tokenOutOfRange(id: id, position: position, vocabSize: model.config.vocabSize)
        }
        let batch = TokenBatch(sequences: [ids])
        try model.forward(batch)
        let step = LanguageModelMicroBatch.nextToken(batch)
        let all = try model.logProbabilities(targets: step.targets)
        let values = Array(all[0..<(ids.count - 1)])
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        return SequenceLogProbabilities(ids: ids, logProbabilities: values, perplexity: Foundation.exp(-mean))
    }
}
