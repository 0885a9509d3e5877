import Foundation
import RLHFCore
@testable import RLHFCommands
import RLHFTrain
import Testing

/// The progress display: a bar redrawn in place on a terminal, plain lines every logging_steps otherwise.
@Suite struct TrainingProgressTests {
    static func report(_ step: Int) -> StepReport {
        StepReport(step: step, totalSteps: 20, stepsThisRun: step, secondsThisRun: Double(step) * 0.5, loss: 2.5,
                   learningRate: 1e-3, gradientNorm: 0.75, tokensPerSecond: 12_345, epoch: 0.1)
    }

    func context(terminal: Bool) -> (CommandContext, MemorySink) {
        let err = MemorySink()
        return (CommandContext(stdout: MemorySink(), stderr: err, stdin: MemorySource(""), environment: [:], currentDirectory: "/",
                               stderrIsTerminal: terminal), err)
    }

    @Test func aTerminalGetsOneLineRedrawnWithLossAndETA() {
        let (context, err) = context(terminal: true)
        let progress = TrainingProgress(context, loggingSteps: 10)
        for step in 1...5 { progress.step(Self.report(step)) }
        progress.note("step 5 validation: loss 2.4")
        progress.finish()
        #expect(err.text.components(separatedBy: "\n").count == 2)   // the bar's redraws share one line
        #expect(err.text.contains("\r\u{1B}[2Kstep 5/20 [######..................] loss 2.5000 lr 1.00e-03 12.3k tok/s ETA 0:08"))
        #expect(err.text.hasSuffix("\r\u{1B}[2Kstep 5 validation: loss 2.4\n"))
    }

    @Test func otherwisePlainLinesEveryLoggingSteps() {
        let (context, err) = context(terminal: false)
        let progress = TrainingProgress(context, loggingSteps: 10)
        for step in 1...20 { progress.step(Self.report(step)) }
        let lines = err.text.split(separator: "\n")
        #expect(lines.map { $0.split(separator: " ")[1] } == ["1/20", "10/20", "20/20"])
        #expect(lines[1] == "step 10/20 loss 2.5000 lr 1.000e-03 grad_norm 0.7500 tokens/s 12.3k epoch 0.10 eta 0:05")
        #expect(!err.text.contains("\r"))
    }
}
