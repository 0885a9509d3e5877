import Foundation
import RLHFTrain

/// What a training command shows while it runs. On a terminal: one line redrawn in place, a bar with
/// the step, loss and ETA. Otherwise (a log file, a pipe, a test): a plain line every `loggingSteps`
/// steps and at the last one. Evaluations and checkpoints always get a line of their own.
final class TrainingProgress {
    let context: CommandContext
    let terminal: Bool
    let loggingSteps: Int
    private var barShown = false

    init(_ context: CommandContext, loggingSteps: Int) {
        self.context = context
        terminal = context.stderrIsTerminal
        self.loggingSteps = max(1, loggingSteps)
    }

    func step(_ r: StepReport) {
        if terminal {
            let width = 24
            let filled = r.totalSteps > 0 ? min(width, width * r.step / r.totalSteps) : 0
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = "\r\u{1B}[2Kstep \(r.step)/\(r.totalSteps) [\(bar)] loss \(Self.number(r.loss)) "
                + "lr \(String(format: "%.2e", r.learningRate)) \(Self.rate(r.tokensPerSecond)) tok/s ETA \(Self.duration(r.secondsLeft))"
            try? context.stderr.write(line)
            try? context.stderr.flush()
            barShown = true
        } else if r.step % loggingSteps == 0 || r.step == r.totalSteps || r.stepsThisRun == 1 {
            context.say("step \(r.step)/\(r.totalSteps) loss \(Self.number(r.loss)) lr \(String(format: "%.3e", r.learningRate)) "
                + "grad_norm \(Self.number(r.gradientNorm)) tokens/s \(Self.rate(r.tokensPerSecond)) "
                + "epoch \(String(format: "%.2f", r.epoch)) eta \(Self.duration(r.secondsLeft))")
        }
    }

    /// A line of its own, below the bar.
    func note(_ message: String) {
        if barShown {
            try? context.stderr.write("\r\u{1B}[2K")
            barShown = false
        }
        context.say(message)
    }

    /// Ends the bar's line so what follows starts on a fresh one.
    func finish() {
        if barShown { try? context.stderr.write("\n") }
        barShown = false
    }

    static func number(_ value: Float) -> String { String(format: "%.4f", value) }

    static func rate(_ value: Double) -> String {
        value >= 10_000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
