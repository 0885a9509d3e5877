import Foundation
import RLHFCore
import RLHFData
import RLHFModel

/// Where a run writes its checkpoints, and what goes into each besides the weights and the optimizer.
public struct CheckpointPlan: Sendable {
    /// The final checkpoint (`--out`): a complete Hugging Face folder.
    public var finalDirectory: String
    /// Intermediate checkpoints go to `intermediateDirectory/checkpoint-STEP` (transformers' naming).
    /// They cannot live inside `finalDirectory`, which is replaced whole when it is written.
    public var intermediateDirectory: String
    /// Files copied into every checkpoint: the tokenizer, the list of training examples.
    public var extraFiles: [String: [UInt8]]
    /// Saved in every trainer state: the trainer's name, its configuration, the examples' hash.
    public var metadata: JSONObject

    public init(finalDirectory: String, intermediateDirectory: String? = nil, extraFiles: [String: [UInt8]] = [:],
                metadata: JSONObject = JSONObject()) {
        self.finalDirectory = finalDirectory
        self.intermediateDirectory = intermediateDirectory ?? finalDirectory + "-checkpoints"
        self.extraFiles = extraFiles
        self.metadata = metadata
    }

    public func intermediate(step: Int) -> String { intermediateDirectory + "/checkpoint-\(step)" }
}

/// What a trainer's loss function computed for one step, its gradients left in `model.gradients`.
public struct StepGradients: Sendable {
    /// Mean loss over the step's counted targets.
    public var loss: Float
    /// Input tokens processed (padding excluded), for tokens/s.
    public var tokens: Int

    public init(loss: Float, tokens: Int) {
        self.loss = loss
        self.tokens = tokens
    }
}

/// How a run ended.
public struct TrainingOutcome: Sendable {
    public enum Status: String, Sendable { case finished, stopped }
    public let status: Status
    /// Updates taken in all (the checkpoint's step).
    public let step: Int
    /// The checkpoint written last: `finalDirectory` when finished, an intermediate one when stopped
    /// (nil if stopped before the first step).
    public let directory: String?
    public let manifestSHA256: String?
    public let lastLoss: Float?
}

/// The loop every trainer shares: example order, micro-batches, gradient clipping, the learning-rate
/// schedule, AdamW, NaN/inf early stop, metrics, periodic evaluation, checkpoints with exact resume, and
/// a polite stop. A trainer supplies its loss (`gradients`) and its evaluation; the reward model and PPO
/// reuse it with their own.
public struct TrainingLoop {
    public let arguments: TrainingArguments
    public let model: GPT2
    public let optimizer: AdamW
    public let exampleCount: Int
    public let totalSteps: Int
    /// Where the run is: step 0 and position 0 for a new run, the checkpoint's for a resumed one.
    public private(set) var state: TrainerState

    public init(arguments: TrainingArguments, model: GPT2, optimizer: AdamW? = nil, exampleCount: Int,
                resume: TrainerState? = nil) throws(TrainingError) {
        try arguments.validate()
        guard exampleCount > 0 else { throw .noTrainingExamples(leftOut: 0, maxLength: 0) }
        self.arguments = arguments
        self.model = model
        self.optimizer = optimizer ?? AdamW(config: arguments.optimizer, layout: model.layout)
        guard self.optimizer.config == arguments.optimizer else {
            throw .resumeMismatch("the checkpoint's optimizer settings differ from the hyperparameters")
        }
        self.exampleCount = exampleCount
        totalSteps = arguments.totalSteps(exampleCount: exampleCount)
        state = resume ?? TrainerState(step: 0, dataPosition: 0, random: SeededRandom(seed: arguments.seed))
        if state.step > totalSteps {
            throw .resumeMismatch("the checkpoint is at step \(state.step), past the run's \(totalSteps) steps")
        }
    }

    /// Runs to `totalSteps` (or until `shouldStop` says so between steps).
    /// - gradients: computes the loss of the micro-batches (example indices) and leaves its gradients in
    ///   `model.gradients`, zeroed first.
    /// - evaluate: called every `evalSteps` steps and at the last step, before its checkpoint.
    public mutating func run(gradients: ([[Int]]) throws -> StepGradients,
                             evaluate: (Int) throws -> Void = { _ in },
                             checkpoints: CheckpointPlan, metrics: MetricsSink, observer: TrainingObserver? = nil,
                             shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        let schedule = arguments.schedule(totalSteps: totalSteps)
        var order = ExampleOrder(count: exampleCount, seed: arguments.seed)
        let runStart = DispatchTime.now().uptimeNanoseconds
        var stepsThisRun = 0
        var lastLoss: Float? = nil
        while state.step < totalSteps {
            if shouldStop() {
                guard state.step > 0 else {
                    return TrainingOutcome(status: .stopped, step: 0, directory: nil, manifestSHA256: nil, lastLoss: nil)
                }
                let directory = checkpoints.intermediate(step: state.step)
                let hash = try save(to: directory, checkpoints, overwrite: true, observer: observer)
                return TrainingOutcome(status: .stopped, step: state.step, directory: directory, manifestSHA256: hash, lastLoss: lastLoss)
            }
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let step = state.step + 1
            let indices = order.indices(from: state.dataPosition, count: arguments.sequencesPerStep)
            let microBatches = stride(from: 0, to: indices.count, by: arguments.perDeviceTrainBatchSize).map {
                Array(indices[$0..<min(indices.count, $0 + arguments.perDeviceTrainBatchSize)])
            }
            let result = try gradients(microBatches)
            guard result.loss.isFinite else { throw TrainingError.nonFinite(what: "loss", step: step, value: result.loss) }
            guard let g = model.gradients else { preconditionFailure("the loss left no gradients") }
            let norm = GradientClipping.globalNorm(g)
            guard norm.isFinite else { throw TrainingError.nonFinite(what: "gradient norm", step: step, value: norm) }
            let learningRate = schedule.learningRate(step: state.step)
            optimizer.update(parameters: model.parameters, gradients: g, learningRate: learningRate,
                             gradientScale: GradientClipping.scale(norm: norm, maxNorm: arguments.maxGradNorm))
            state.step = step
            state.dataPosition += indices.count
            stepsThisRun += 1
            lastLoss = result.loss

            let now = DispatchTime.now().uptimeNanoseconds
            let stepSeconds = max(1e-9, Double(now - stepStart) / 1e9)
            let report = StepReport(step: step, totalSteps: totalSteps, stepsThisRun: stepsThisRun,
                                    secondsThisRun: Double(now - runStart) / 1e9, loss: result.loss,
                                    learningRate: learningRate, gradientNorm: norm,
                                    tokensPerSecond: Double(result.tokens) / stepSeconds,
                                    epoch: order.epoch(at: state.dataPosition))
            // Named as transformers logs them; grad_norm is the norm before clipping, as there.
            metrics.record(step: step, name: "loss", value: Double(result.loss))
            metrics.record(step: step, name: "learning_rate", value: Double(learningRate))
            metrics.record(step: step, name: "grad_norm", value: Double(norm))
            metrics.record(step: step, name: "tokens_per_second", value: report.tokensPerSecond)
            metrics.record(step: step, name: "epoch", value: report.epoch)
            observer?.stepFinished(report)

            if let every = arguments.evalSteps, every > 0, step % every == 0 || step == totalSteps {
                try evaluate(step)
            }
            if step < totalSteps && step % arguments.saveSteps == 0 {
                _ = try save(to: checkpoints.intermediate(step: step), checkpoints, overwrite: true, observer: observer)
            }
        }
        let hash = try save(to: checkpoints.finalDirectory, checkpoints, overwrite: false, observer: observer)
        return TrainingOutcome(status: .finished, step: state.step, directory: checkpoints.finalDirectory,
                               manifestSHA256: hash, lastLoss: lastLoss)
    }

    private func save(to directory: String, _ plan: CheckpointPlan, overwrite: Bool,
                      observer: TrainingObserver?) throws -> String {
        var trainerState = state
        trainerState.metadata = plan.metadata
        let parent = (directory as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let hash = try Checkpoint.save(model: model, optimizer: optimizer, trainerState: trainerState, to: directory,
                                       extraFiles: plan.extraFiles, overwrite: overwrite)
        try observer?.checkpointSaved(step: state.step, directory: directory, manifestSHA256: hash)
        return hash
    }
}
