import Foundation
import RLHFCore
import RLHFData
import RLHFModel

/// A prompt and a target completion, as the SFT trainer takes them (plain values: trainers never see the
/// store; the command copies its rows into these). `id` is the completion's id in the store.
public struct PromptCompletion: Sendable, Equatable {
    public let id: Int64
    public let prompt: String
    public let completion: String

    public init(id: Int64, prompt: String, completion: String) {
        self.id = id
        self.prompt = prompt
        self.completion = completion
    }
}

/// Serialised examples and what serialising them cost.
public struct SerializedSet: Sendable {
    public var examples: [LanguageModelExample]
    /// Pairs whose completion and end-of-text alone exceed the length (the serialiser's nil).
    public var leftOut: Int
    /// Examples whose prompt was cut from the left to fit.
    public var promptsCut: Int

    /// Every pair through the one serialiser (training purpose), in order.
    public init(_ pairs: [PromptCompletion], serializer: Serializer, maxLength: Int) {
        examples = []
        leftOut = 0
        promptsCut = 0
        examples.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let serialized = serializer.serialize(prompt: pair.prompt, completion: pair.completion,
                                                        maxLength: maxLength, purpose: .training) else {
                leftOut += 1
                continue
            }
            if serialized.promptTokensDropped > 0 { promptsCut += 1 }
            examples.append(LanguageModelExample(id: pair.id, serialized: serialized))
        }
    }

    public init(examples: [LanguageModelExample]) {
        self.examples = examples
        leftOut = 0
        promptsCut = 0
    }
}

/// Next-token training: SFT (prompt/completion pairs, loss on the completion and its end-of-text) and
/// pretraining (packed text, every target), which differ only in their examples. Mean cross-entropy
/// over the step's counted targets, accumulated over micro-batches as one batch (`accumulateCrossEntropy`).
public struct LanguageModelTrainer {
    public let config: SFTConfig

    public init(config: SFTConfig) { self.config = config }

    /// Trains `model` on `train` and returns how the run ended (the final checkpoint is
    /// `checkpoints.finalDirectory`). Evaluates on `validation` every `eval_steps` and at the end, and
    /// on `test` once when the run finishes. `optimizer` and `resume` come from a checkpoint to continue
    /// a run exactly; both nil for a new one.
    public func train(model: GPT2, optimizer: AdamW? = nil, resume: TrainerState? = nil,
                      train: SerializedSet, validation: [LanguageModelExample] = [], test: [LanguageModelExample] = [],
                      checkpoints: CheckpointPlan, metrics: MetricsSink, observer: TrainingObserver? = nil,
                      shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        try config.validate()
        let maxLength = try config.sequenceLength(contextLength: model.config.contextLength)
        let examples = train.examples
        guard !examples.isEmpty else {
            throw TrainingError.noTrainingExamples(leftOut: train.leftOut, maxLength: maxLength)
        }
        if let tooLong = examples.first(where: { $0.tokens.count > model.config.contextLength }) {
            throw TrainingError.model("example \(tooLong.id) has \(tooLong.tokens.count) tokens, more than the model's context length \(model.config.contextLength)")
        }
        var loop = try TrainingLoop(arguments: config.training, model: model, optimizer: optimizer,
                                    exampleCount: examples.count, resume: resume)
        // At the step the run (re)starts from, so a resumed run's record says it too.
        let startStep = resume?.step ?? 0
        metrics.record(step: startStep, name: "examples", value: Double(examples.count))
        metrics.record(step: startStep, name: "examples_left_out", value: Double(train.leftOut))
        metrics.record(step: startStep, name: "prompts_cut", value: Double(train.promptsCut))
        let evalBatch = config.training.perDeviceEvalBatchSize
        let outcome = try loop.run(
            gradients: { microBatches in
                let batches = microBatches.map { indices in LanguageModelCollator.collate(indices.map { examples[$0] }) }
                let result = try model.accumulateCrossEntropy(batches)
                return StepGradients(loss: result.loss, tokens: batches.reduce(0) { $0 + $1.batch.tokenCount })
            },
            evaluate: { step in
                guard !validation.isEmpty else { return }
                let result = try Self.evaluate(model: model, examples: validation, batchSize: evalBatch)
                metrics.record(step: step, name: "eval_loss", value: result.loss)
                metrics.record(step: step, name: "eval_perplexity", value: result.perplexity)
                observer?.evaluated(step: step, set: "validation", result: result)
            },
            checkpoints: checkpoints, metrics: metrics, observer: observer, shouldStop: shouldStop)
        if outcome.status == .finished && !test.isEmpty {
            let result = try Self.evaluate(model: model, examples: test, batchSize: evalBatch)
            metrics.record(step: outcome.step, name: "test_loss", value: result.loss)
            metrics.record(step: outcome.step, name: "test_perplexity", value: result.perplexity)
            observer?.evaluated(step: outcome.step, set: "test", result: result)
        }
        return outcome
    }

    /// Mean cross-entropy over the counted targets of `examples` (summed in double, in example order,
    /// batches of similar length to waste little on padding).
    public static func evaluate(model: GPT2, examples: [LanguageModelExample], batchSize: Int) throws -> EvaluationResult {
        let order = examples.indices.sorted { (examples[$0].tokens.count, $0) < (examples[$1].tokens.count, $1) }
        var sum = 0.0
        var count = 0
        for start in stride(from: 0, to: order.count, by: max(1, batchSize)) {
            let micro = LanguageModelCollator.collate(order[start..<min(order.count, start + batchSize)].map { examples[$0] })
            try model.forward(micro.batch)
            let logProbabilities = try model.logProbabilities(targets: micro.targets)
            for (i, target) in micro.targets.enumerated() where target >= 0 {
                sum -= Double(logProbabilities[i])
                count += 1
            }
        }
        return EvaluationResult(loss: count > 0 ? sum / Double(count) : .nan, tokens: count, examples: examples.count)
    }
}
