import Foundation
import RLHFModel

/// The `--profile` table every bench prints: time per kernel, largest first, with its share of `total`.
enum BenchProfile {
    /// `counted` picks the kernels that make up the total (sampling leaves its prefill out, so the
    /// shares are of decoding alone); every kernel is listed.
    static func say(_ title: String, over runs: String, nameWidth: Int = 24, counted: (String) -> Bool = { _ in true },
                    _ context: CommandContext) {
        let report = Profile.report()
        let total = report.filter { counted($0.name) }.reduce(0) { $0 + $1.seconds }
        context.say("profile \(title): \(String(format: "%.3f", total)) s in kernels over \(runs)")
        for entry in report {
            context.say("  \(entry.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)) "
                        + String(format: "%8.3f s  %5.1f%%  %6d calls", entry.seconds, 100 * entry.seconds / total, entry.calls))
        }
    }
}
