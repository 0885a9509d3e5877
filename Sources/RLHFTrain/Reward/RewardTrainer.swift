import Foundation
import RLHFCore
import RLHFData
import RLHFModel

/// The reward-model trainer (InstructGPT's reward model, TRL's RewardTrainer): Bradley-Terry (or
/// Davidson) on the train judgements through the shared `TrainingLoop`, the validation loss after
/// every epoch with early stopping, the best-on-validation weights kept, the test split once at the
/// end, then normalisation on the policy's samples and a Hugging Face folder at `out`.
public struct RewardTrainer {
    public let config: RewardConfig

    public init(config: RewardConfig) { self.config = config }

    /// Judgements serialised and grouped, per split.
    public struct Datasets: Sendable {
        public var train: RewardDataset
        public var validation: RewardDataset
        public var test: RewardDataset
        public init(train: RewardDataset, validation: RewardDataset, test: RewardDataset) {
            self.train = train
            self.validation = validation
            self.test = test
        }
    }

    /// The policy the reward model will judge (the `--init` model) and the train prompts to sample it on.
    public struct Normalizing {
        public var policy: GPT2
        public var prompts: [[Int]]
        public var name: String
        public init(policy: GPT2, prompts: [[Int]], name: String) {
            self.policy = policy
            self.prompts = prompts
            self.name = name
        }
    }

    public struct Outcome: Sendable {
        public var status: TrainingOutcome.Status
        /// Steps taken; the step of the weights at `directory` (the best on validation) is `bestStep`.
        public var step: Int
        public var bestStep: Int
        public var earlyStopped: Bool
        /// `out` when finished; the intermediate checkpoint when stopped (Ctrl-C).
        public var directory: String?
        public var manifestSHA256: String?
        public var test: RewardReport?
        public var normalization: RewardNormalization?
        public var lastLoss: Float?

        /// The same in the shared loop's terms (what `TrainingSession.run` closes the run with).
        public var training: TrainingOutcome {
            TrainingOutcome(status: status, step: step, directory: directory, manifestSHA256: manifestSHA256, lastLoss: lastLoss)
        }
    }

    /// Shared state of the closures the loop calls and the observer that writes `reward_state.json`.
    final class Run: TrainingObserver {
        var state: RewardRunState
        var earlyStopped = false
        /// Best-weight folders this run wrote, and those a checkpoint's reward_state.json names (kept:
        /// a resume from that checkpoint needs them).
        var created: [String] = []
        var referenced = Set<String>()
        let outer: RewardTrainingObserver?

        init(state: RewardRunState, outer: RewardTrainingObserver?) {
            self.state = state
            self.outer = outer
        }

        func stepFinished(_ report: StepReport) { outer?.stepFinished(report) }

        func checkpointSaved(step: Int, directory: String, manifestSHA256: String) throws {
            try Data(state.json()).write(to: URL(fileURLWithPath: directory + "/" + RewardRunState.fileName))
            if let best = state.bestDirectory { referenced.insert(best) }
            try outer?.checkpointSaved(step: step, directory: directory, manifestSHA256: manifestSHA256)
        }
    }

    public func train(model: GPT2, optimizer: AdamW? = nil, resume: (state: TrainerState, run: RewardRunState)? = nil,
                      data: Datasets, normalizing: Normalizing?, endOfText: Int, checkpoints: CheckpointPlan, out: String,
                      metrics: MetricsSink, observer: RewardTrainingObserver? = nil,
                      shouldStop: () -> Bool = { false }) throws -> Outcome {
        try config.validate()
        guard model.hasScalarHead else { throw TrainingError.model("the reward model needs a scalar head") }
        let maxLength = try config.sequenceLength(contextLength: model.config.contextLength)
        let train = data.train
        guard !train.groups.isEmpty else {
            throw TrainingError.noTrainingExamples(leftOut: train.leftOut, maxLength: maxLength)
        }
        var arguments = config.training
        if arguments.evalSteps == nil {   // once per epoch
            arguments.evalSteps = max(1, (train.groups.count + arguments.sequencesPerStep - 1) / arguments.sequencesPerStep)
        }
        var loop = try TrainingLoop(arguments: arguments, model: model, optimizer: optimizer, exampleCount: train.groups.count,
                                    resume: resume?.state)
        let run = Run(state: resume?.run ?? RewardRunState(), outer: observer)
        let objective = config.objective
        let evalBatch = arguments.perDeviceEvalBatchSize
        let startStep = resume?.state.step ?? 0
        metrics.record(step: startStep, name: "examples", value: Double(train.comparisonCount))
        metrics.record(step: startStep, name: "prompts", value: Double(train.groups.count))
        metrics.record(step: startStep, name: "examples_left_out", value: Double(train.leftOut))
        metrics.record(step: startStep, name: "ties_left_out", value: Double(train.tiesLeftOut))

        var step = startStep
        var loopPlan = checkpoints
        loopPlan.finalDirectory = checkpoints.intermediate(step: loop.totalSteps)
        let outcome = try loop.run(
            gradients: { microBatches in
                step += 1
                let (batch, chunks) = train.batch(microBatches: microBatches)
                let result = try RewardStep.accumulate(model: model, batch: batch, objective: objective,
                                                       logTieParameter: run.state.logTieParameter, chunks: chunks)
                let o = result.objective
                if o.decided > 0 { metrics.record(step: step, name: "accuracy", value: Double(o.correct) / Double(o.decided)) }
                if objective.ties == .davidson {
                    run.state.logTieParameter -= config.tieLearningRate * o.dTheta
                    metrics.record(step: step, name: "log_tie_parameter", value: run.state.logTieParameter)
                }
                return StepGradients(loss: Float(o.loss), tokens: result.tokens)
            },
            evaluate: { step in
                guard !data.validation.groups.isEmpty else { return }
                let report = try RewardEvaluator.evaluate(model: model, dataset: data.validation, ties: objective.ties,
                                                          logTieParameter: run.state.logTieParameter, microBatch: evalBatch)
                Self.record(report, prefix: "eval_", step: step, metrics)
                observer?.rewardEvaluated(step: step, set: "validation", report: report)
                if let best = run.state.bestLoss, !(report.objectiveLoss < best) {
                    run.state.evaluationsWithoutImprovement += 1
                    if run.state.evaluationsWithoutImprovement >= config.earlyStoppingPatience { run.earlyStopped = true }
                    return
                }
                try saveBest(model: model, step: step, loss: report.objectiveLoss, run: run, plan: checkpoints)
            },
            checkpoints: loopPlan, metrics: metrics, observer: run, shouldStop: { run.earlyStopped || shouldStop() })
        if outcome.status == .stopped && !run.earlyStopped {
            return Outcome(status: .stopped, step: outcome.step, bestStep: run.state.bestStep ?? outcome.step, earlyStopped: false,
                           directory: outcome.directory, manifestSHA256: outcome.manifestSHA256, test: nil, normalization: nil,
                           lastLoss: outcome.lastLoss)
        }
        // A last evaluation without improvement at the final step is not an early stop.
        run.earlyStopped = run.earlyStopped && outcome.status == .stopped
        if run.earlyStopped {
            observer?.note("early stop at step \(outcome.step): validation loss has not improved for \(config.earlyStoppingPatience) evaluation(s); keeping step \(run.state.bestStep ?? outcome.step)")
        }
        // The best weights on validation (or the last, without a validation split).
        var logTieParameter = run.state.logTieParameter
        if let directory = run.state.bestDirectory {
            let best = try Checkpoint.load(from: directory, scalarHead: true).model
            model.parameters.pointer.update(from: best.parameters.pointer, count: model.parameters.count)
            logTieParameter = run.state.bestLogTieParameter ?? logTieParameter
        }
        if objective.ties == .davidson {
            // Theta at its maximum likelihood on the train judgements for the chosen weights.
            let rewards = try RewardForward.rewards(model: model, sequences: train.sequences.map(\.tokens),
                                                    readPositions: train.sequences.map(\.endIndex), microBatch: evalBatch)
            let comparisons = train.groups.flatMap(\.comparisons).map {
                RewardBatch.Comparison(first: $0.first, second: $0.second, outcome: $0.outcome)
            }
            logTieParameter = RewardObjective.fitLogTieParameter(rewards: rewards.map(Double.init), comparisons: comparisons,
                                                                 start: logTieParameter)
            metrics.record(step: outcome.step, name: "log_tie_parameter_fitted", value: logTieParameter)
        }
        let bestStep = run.state.bestStep ?? outcome.step
        var test: RewardReport? = nil
        if !data.test.groups.isEmpty {
            // On the trained scale (before normalisation): the scale the Bradley-Terry model was fitted on,
            // where its loss and calibration mean something.
            let report = try RewardEvaluator.evaluate(model: model, dataset: data.test, ties: objective.ties,
                                                      logTieParameter: logTieParameter, microBatch: evalBatch)
            Self.record(report, prefix: "test_", step: outcome.step, metrics)
            observer?.rewardEvaluated(step: outcome.step, set: "test", report: report)
            test = report
        }
        var normalization: RewardNormalization? = nil
        if let normalizing, config.normalizationSamples > 0 {
            let n = try RewardNormalization.normalize(
                model: model, policy: normalizing.policy, prompts: normalizing.prompts, samples: config.normalizationSamples,
                seed: config.normalizationSeed ?? config.training.seed, temperature: config.normalizationTemperature,
                maxNewTokens: config.normalizationMaxNewTokens, endOfText: endOfText, maxLength: maxLength, batchSize: 16)
            metrics.record(step: outcome.step, name: "normalization_raw_mean", value: n.rawMean)
            metrics.record(step: outcome.step, name: "normalization_raw_std", value: n.rawStandardDeviation)
            observer?.note(String(format: "normalised on %d samples of %@: raw mean %.4f, std %.4f -> gain %.4f, bias %.4f",
                                  n.samples, normalizing.name, n.rawMean, n.rawStandardDeviation, n.gain, n.bias))
            normalization = n
        }
        let folded = Double(RewardHead.bias(model))
        try RewardHead.foldBiasIntoFinalLayerNorm(model)
        var files = checkpoints.extraFiles
        for (name, bytes) in RewardModelFile.files(RewardModelFile.Contents(
            endOfText: endOfText, maxLength: maxLength, ties: objective.ties,
            logTieParameter: objective.ties == .davidson ? logTieParameter : nil, step: bestStep,
            validationLoss: run.state.bestLoss, foldedBias: folded, normalization: normalization, policy: normalizing?.name)) {
            files[name] = bytes
        }
        let hash = try Checkpoint.save(model: model, to: out, extraFiles: files)
        if let normalization {
            try Self.verifyNormalization(directory: out, expected: normalization)
        }
        try observer?.checkpointSaved(step: bestStep, directory: out, manifestSHA256: hash)
        for directory in run.created where !run.referenced.contains(directory) { try? FileManager.default.removeItem(atPath: directory) }
        return Outcome(status: .finished, step: outcome.step, bestStep: bestStep, earlyStopped: run.earlyStopped,
                       directory: out, manifestSHA256: hash, test: test, normalization: normalization, lastLoss: outcome.lastLoss)
    }

    /// The weights of a new best validation loss go to `best-STEP` beside the intermediate checkpoints
    /// (the previous copy is removed unless a checkpoint names it).
    private func saveBest(model: GPT2, step: Int, loss: Double, run: Run, plan: CheckpointPlan) throws {
        let directory = plan.intermediateDirectory + "/best-\(step)"
        try FileManager.default.createDirectory(atPath: plan.intermediateDirectory, withIntermediateDirectories: true)
        try Checkpoint.save(model: model, to: directory, overwrite: true)
        if let previous = run.state.bestDirectory, previous != directory, run.created.contains(previous),
           !run.referenced.contains(previous) {
            try? FileManager.default.removeItem(atPath: previous)
        }
        if !run.created.contains(directory) { run.created.append(directory) }
        run.state.bestDirectory = directory
        run.state.bestStep = step
        run.state.bestLoss = loss
        run.state.bestLogTieParameter = run.state.logTieParameter
        run.state.evaluationsWithoutImprovement = 0
    }

    /// Reloads the saved folder and checks its rewards on the normalisation samples still have mean 0
    /// and standard deviation 1 (within 1e-3: float rounding of the folded weights is about 1e-6).
    static func verifyNormalization(directory: String, expected: RewardNormalization) throws {
        let reloaded = try Checkpoint.load(from: directory).model
        guard let measured = try RewardModelFile.measureNormalization(directory: directory, model: reloaded) else {
            throw TrainingError.model("\(directory): the normalisation samples were not saved")
        }
        guard abs(measured.mean) <= 1e-3, abs(measured.standardDeviation - 1) <= 1e-3 else {
            throw TrainingError.model(String(format: "\(directory): after reloading, the normalisation samples score mean %.5f and std %.5f instead of 0 and 1; the normalisation did not survive the save", measured.mean, measured.standardDeviation))
        }
    }

    static func record(_ report: RewardReport, prefix: String, step: Int, _ metrics: MetricsSink) {
        let m = report.metrics
        var values: [(String, Double)] = [
            ("loss", report.objectiveLoss), ("accuracy", m.accuracy), ("pairs", Double(m.pairs)), ("ties", Double(m.ties)),
            ("bt_loss", m.meanLoss), ("margin", m.meanMargin), ("ece", m.expectedCalibrationError),
            ("longer_wins_accuracy", m.longerWinsAccuracy), ("shorter_wins_accuracy", m.shorterWinsAccuracy),
        ]
        if let c = m.rewardLengthCorrelation { values.append(("reward_length_correlation", c)) }
        if let t = m.tieMeanAbsoluteDifference { values.append(("tie_mean_abs_difference", t)) }
        for (i, count) in m.marginHistogram.enumerated() { values.append(("margin_bin_\(i)", Double(count))) }
        for (name, value) in values { metrics.record(step: step, name: prefix + name, value: value) }
    }
}
