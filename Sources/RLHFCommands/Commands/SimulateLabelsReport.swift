import Foundation
import RLHFCore
import RLHFLabel

/// The `rlhf simulate-labels --report` output: a table, or JSON lines in the shape of `rlhf agreement --json`.
extension SimulateLabelsCommand {
    static func table(_ r: SimulatedReport) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        guard !r.annotators.isEmpty else { return "no labels to score: run rlhf simulate-labels --annotators N first (or name --annotator)\n" }
        var text = "accuracy against the gold rule (labels with a winner on pairs the gold rule does not call equal)\n"
        text += "annotator             labels  decided  correct  accuracy  tie rate  on gold ties  ties there\n"
        for a in r.annotators + [r.pooled, r.majority] where a.labels > 0 || a.name != r.majority.name {
            text += "  " + a.name.padding(20) + String(a.labels).padding(8) + String(a.decided).padding(9) + String(a.correct).padding(9)
                + f(a.accuracy).padding(10) + f(a.tieRate).padding(10) + String(a.onGoldTies).padding(14) + String(a.tiesOnGoldTies) + "\n"
        }
        text += "noise ceiling: a reward model that learned the gold rule exactly agrees with \(f(r.pooled.accuracy)) of these labels\n"
        text += "length-only rule (longer wins) on these pairs, against gold: \(f(r.lengthOnly.longerWinsAccuracy)) over \(r.lengthOnly.pairs) pairs\n\n"
        return text + AgreementCommand.table(r.agreement)
    }

    static func jsonLines(_ r: SimulatedReport) -> String {
        func number(_ v: Double?) -> JSONValue { AgreementCommand.number(v) }
        var lines: [String] = []
        for a in r.annotators + [r.pooled, r.majority] {
            lines.append(JSONWriter.encode(.object(JSONObject([
                ("kind", .string("gold_accuracy")), ("name", .string(a.name)),
                ("labels", .int(a.labels)), ("decided", .int(a.decided)), ("correct", .int(a.correct)),
                ("accuracy", number(a.accuracy)), ("tie_rate", number(a.tieRate)),
                ("on_gold_ties", .int(a.onGoldTies)), ("ties_on_gold_ties", .int(a.tiesOnGoldTies)),
            ]))))
        }
        lines.append(JSONWriter.encode(.object(JSONObject([
            ("kind", .string("length_only")), ("pairs", .int(r.lengthOnly.pairs)), ("longer_wins", number(r.lengthOnly.longerWinsAccuracy)),
        ]))))
        return lines.map { $0 + "\n" }.joined() + AgreementCommand.jsonLines(r.agreement)
    }
}
