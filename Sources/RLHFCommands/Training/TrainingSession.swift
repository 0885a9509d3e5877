import Foundation
import RLHFCore
import RLHFData
import RLHFStore
import RLHFTrain

/// One training command's run as the user and the store see it: the run record (when there is a
/// store), its metrics, the progress display, a record per checkpoint with its manifest hash, and the
/// run's end (finished, stopped by Ctrl-C, or failed with the reason, e.g. the step whose loss was NaN).
/// Trainer-agnostic: `rlhf pretrain`, `rlhf sft` and the reward-model trainer open one each and hand it
/// to their trainer as its `MetricsSink` source and `TrainingObserver`.
final class TrainingSession: TrainingObserver {
    let context: CommandContext
    let store: Store?
    let runID: Int64?
    let progress: TrainingProgress
    private let storeSink: StoreMetricsSink?
    private let memorySink = MemoryMetricsSink()

    /// Opens the run: `kind` ("sft", "pretrain", "reward"), `config` everything needed to repeat it.
    init(kind: String, config: JSONObject, store: Store?, context: CommandContext, loggingSteps: Int) throws {
        self.context = context
        self.store = store
        progress = TrainingProgress(context, loggingSteps: loggingSteps)
        if let store {
            let id = try store.startRun(kind: kind, config: JSONWriter.encode(.object(config)))
            runID = id
            storeSink = StoreMetricsSink(store: store, runID: id)
            context.say("run \(id) (\(kind)) recorded in \(store.path)")
        } else {
            runID = nil
            storeSink = nil
        }
    }

    /// Where the trainer reports: the store's run when there is one, memory otherwise.
    var metrics: MetricsSink { storeSink ?? memorySink }

    func stepFinished(_ report: StepReport) { progress.step(report) }

    func evaluated(step: Int, set: String, result: EvaluationResult) {
        progress.note("step \(step) \(set): loss \(String(format: "%.4f", result.loss)) perplexity "
            + "\(String(format: "%.3f", result.perplexity)) (\(result.tokens) tokens, \(result.examples) examples)")
    }

    func checkpointSaved(step: Int, directory: String, manifestSHA256: String) throws {
        try storeSink?.flush()
        try store?.recordCheckpoint(runID: runID, step: step, path: directory, manifestSHA256: manifestSHA256)
        progress.note("checkpoint at step \(step): \(directory) (manifest sha256 \(manifestSHA256.prefix(16)))")
    }

    /// Runs the training, then closes the run with how it ended. Ctrl-C asks the loop to stop after the
    /// current step (it saves a checkpoint to resume from); a second Ctrl-C ends the process at once.
    func run(_ body: (_ shouldStop: @escaping () -> Bool) throws -> TrainingOutcome) throws -> TrainingOutcome {
        Interrupt.install()
        defer { Interrupt.uninstall() }
        do {
            let outcome = try body { Interrupt.requested }
            progress.finish()
            try storeSink?.flush()
            if let runID {
                let message = outcome.status == .stopped
                    ? "stopped at step \(outcome.step); continue with --resume \(outcome.directory ?? "(no checkpoint: stopped before step 1)")"
                    : nil
                try store?.finishRun(runID, status: outcome.status.rawValue, message: message)
            }
            if outcome.status == .stopped {
                context.say("stopped at step \(outcome.step)" + (outcome.directory.map { "; continue with --resume \($0)" } ?? ""))
            }
            return outcome
        } catch {
            progress.finish()
            try? storeSink?.flush()
            if let runID { try? store?.finishRun(runID, status: "failed", message: "\(error)") }
            throw error
        }
    }
}

/// Ctrl-C during training: the first asks for a polite stop, the handler then steps aside so a second
/// one ends the process.
enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    static var requested: Bool { flag != 0 }

    static func install() {
        flag = 0
        signal(SIGINT) { _ in
            Interrupt.flag = 1
            signal(SIGINT, SIG_DFL)
        }
    }

    static func uninstall() { signal(SIGINT, SIG_DFL) }
}

extension StoreOption {
    /// The store for a command that works without one: `--store` or `$RLHF_STORE` must exist when
    /// given; the default `./rlhf.sqlite` is used only when it is there.
    static func openIfPresent(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Store? {
        let explicit = arguments.string("--store") != nil || !(context.environment["RLHF_STORE"] ?? "").isEmpty
        let path = self.path(arguments, context)
        if !explicit && !FileManager.default.fileExists(atPath: path) { return nil }
        return try open(path, context)
    }
}
