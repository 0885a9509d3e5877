import Foundation
import RLHFModel

/// One finished optimizer step, as the progress display and the logs see it.
public struct StepReport: Sendable {
    /// 1-based: the number of updates taken so far, as transformers' `global_step`.
    public let step: Int
    public let totalSteps: Int
    /// Steps this process has taken (a resumed run starts counting again), with its elapsed time, for
    /// the ETA.
    public let stepsThisRun: Int
    public let secondsThisRun: Double
    public let loss: Float
    public let learningRate: Float
    public let gradientNorm: Float
    public let tokensPerSecond: Double
    public let epoch: Double

    public init(step: Int, totalSteps: Int, stepsThisRun: Int, secondsThisRun: Double, loss: Float, learningRate: Float,
                gradientNorm: Float, tokensPerSecond: Double, epoch: Double) {
        self.step = step
        self.totalSteps = totalSteps
        self.stepsThisRun = stepsThisRun
        self.secondsThisRun = secondsThisRun
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.tokensPerSecond = tokensPerSecond
        self.epoch = epoch
    }

    /// Seconds left at this run's average pace.
    public var secondsLeft: Double {
        guard stepsThisRun > 0 else { return 0 }
        return secondsThisRun / Double(stepsThisRun) * Double(totalSteps - step)
    }
}

/// What a trainer tells whoever runs it, besides the metrics: the command draws its progress bar and
/// records checkpoints in the store from these calls. Every method has an empty default.
public protocol TrainingObserver: AnyObject {
    func stepFinished(_ report: StepReport)
    /// An evaluation on a named set ("validation", "test").
    func evaluated(step: Int, set: String, result: EvaluationResult)
    /// A checkpoint folder was written completely (renamed into place). Throwing stops training.
    func checkpointSaved(step: Int, directory: String, manifestSHA256: String) throws
}

public extension TrainingObserver {
    func stepFinished(_ report: StepReport) {}
    func evaluated(step: Int, set: String, result: EvaluationResult) {}
    func checkpointSaved(step: Int, directory: String, manifestSHA256: String) throws {}
}

/// Mean next-token loss over a set's counted targets, and its perplexity.
public struct EvaluationResult: Equatable, Sendable {
    /// Mean negative log-likelihood per counted target, in nats.
    public let loss: Double
    /// Counted targets.
    public let tokens: Int
    public let examples: Int
    public var perplexity: Double { Foundation.exp(loss) }
}
