import RLHFCore
import RLHFLabel
import RLHFStore

struct AgreementCommand: Command {
    static let name = "agreement"
    static let abstract = "Inter-annotator agreement: Cohen's kappa per pair of annotators, Krippendorff's alpha, per-annotator bias"
    static let usage = "rlhf agreement [--split ...] [--annotator ...] [--json] [--store PATH]"
    static let options: [OptionSpec] = [
        StoreOption.spec,
        .repeating("--split", "SPLIT", "only prompts of these splits (default all)"),
        .repeating("--annotator", "NAME", "only these annotators (default all with labels)"),
        .flag("--json", "JSON lines instead of a table"),
    ]
    static let discussion = """
        Values are the winner by completion id (first, second, tie; every tie kind counts as tie), one per
        annotator and pair (their newest current label), so the shown order cannot move agreement.
        Per annotator: current labels, position bias (share of non-tie labels won by the completion shown
        first; 0.5 is unbiased), tie rate, median seconds per label.
        """

    let storePath: String
    let splits: [RLHFData.Split]
    let annotators: [String]
    let json: Bool

    init(_ arguments: ParsedArguments, context: CommandContext) throws {
        storePath = StoreOption.path(arguments, context)
        splits = try FilterOptions.splits(arguments)
        annotators = arguments.strings("--annotator")
        json = arguments.flag("--json")
    }

    func run(_ context: CommandContext) throws {
        let store = try StoreOption.open(storePath, context)
        let report = try AgreementReport.compute(store: store, splits: splits, annotators: annotators)
        try context.stdout.write(json ? Self.jsonLines(report) : Self.table(report))
    }

    static func number(_ v: Double?) -> JSONValue { v.map { .double(($0 * 10_000).rounded() / 10_000) } ?? .null }

    static func jsonLines(_ report: AgreementReport) -> String {
        var lines: [String] = []
        for k in report.kappas {
            lines.append(JSONWriter.encode(.object(JSONObject([("kind", .string("cohens_kappa")), ("a", .string(k.a)), ("b", .string(k.b)),
                                                                ("shared_pairs", .int(k.sharedPairs)), ("kappa", number(k.kappa))]))))
        }
        lines.append(JSONWriter.encode(.object(JSONObject([("kind", .string("krippendorff_alpha")), ("units", .int(report.alphaUnits)),
                                                            ("alpha", number(report.alpha))]))))
        for a in report.annotators {
            lines.append(JSONWriter.encode(.object(JSONObject([("kind", .string("annotator")), ("name", .string(a.name)), ("labels", .int(a.labels)),
                                                                ("position_bias", number(a.positionBias)), ("tie_rate", number(a.tieRate)),
                                                                ("median_seconds", number(a.medianSeconds))]))))
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func table(_ report: AgreementReport) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        var text = "Krippendorff's alpha (nominal): \(f(report.alpha)) over \(report.alphaUnits) pairs with two or more annotators\n"
        if !report.kappas.isEmpty {
            text += "\nCohen's kappa          shared pairs  kappa\n"
            for k in report.kappas { text += "  " + "\(k.a) / \(k.b)".padding(22) + String(k.sharedPairs).padding(14) + f(k.kappa) + "\n" }
        }
        text += "\nannotator             labels  position bias  tie rate  median s\n"
        for a in report.annotators {
            text += "  " + a.name.padding(20) + String(a.labels).padding(8) + f(a.positionBias).padding(15) + f(a.tieRate).padding(10) + f(a.medianSeconds) + "\n"
        }
        return text
    }
}

import Foundation
import RLHFData
