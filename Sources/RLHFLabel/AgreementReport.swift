import RLHFCore
import RLHFData
import RLHFStore

/// What `rlhf agreement` reports, computed from `current_labels` (one value per annotator and pair:
/// their newest current label). Labels without an annotator (plain imports) are left out.
public struct AgreementReport: Sendable {
    public struct PairwiseKappa: Sendable, Equatable {
        public let a: String, b: String
        public let sharedPairs: Int
        public let kappa: Double?
    }

    public struct AnnotatorStats: Sendable, Equatable {
        public let name: String
        public let labels: Int
        /// How often the completion shown first won, among non-tie labels with a known shown order.
        public let positionBias: Double?
        public let tieRate: Double?
        public let medianSeconds: Double?
    }

    public var kappas: [PairwiseKappa] = []
    public var alpha: Double?
    public var alphaUnits = 0
    public var annotators: [AnnotatorStats] = []

    public static func compute(store: Store, splits: [Split] = [], annotators only: [String] = []) throws -> AgreementReport {
        var filter = LabelFilter(splits: splits, annotators: only)
        filter.sources = []
        let (condition, values) = filter.sql()
        struct Row { let winner: Winner; let shownFirst: Winner?; let seconds: Double? }
        var byAnnotator: [String: [PairKey: Row]] = [:]
        try store.forEachRow("""
            SELECT a.name, cl.first_id, cl.second_id, cl.winner, cl.shown_first, cl.seconds
            FROM current_labels cl JOIN annotators a ON a.id = cl.annotator_id JOIN prompts p ON p.id = cl.prompt_id
            WHERE \(condition)
            ORDER BY cl.label_id IS NULL, cl.label_id, cl.ranking_id
            """, values) { r in
            let row = Row(winner: Winner(rawValue: r.text(3)) ?? .tie, shownFirst: r.optionalText(4).flatMap(Winner.init(rawValue:)),
                          seconds: r.optionalDouble(5))
            byAnnotator[r.text(0), default: [:]][PairKey(r.int64(1), r.int64(2))] = row   // newest wins
        }
        var report = AgreementReport()
        let names = byAnnotator.keys.sorted()
        for (i, a) in names.enumerated() {
            for b in names[(i + 1)...] {
                let shared = byAnnotator[a]!.compactMap { pair, row in byAnnotator[b]![pair].map { (row.winner, $0.winner) } }
                report.kappas.append(PairwiseKappa(a: a, b: b, sharedPairs: shared.count, kappa: Agreement.cohensKappa(shared)))
            }
        }
        var units: [PairKey: [Winner]] = [:]
        for (_, pairs) in byAnnotator { for (pair, row) in pairs { units[pair, default: []].append(row.winner) } }
        let multi = units.values.filter { $0.count >= 2 }
        report.alphaUnits = multi.count
        report.alpha = Agreement.krippendorffAlphaNominal(Array(multi))
        for name in names {
            let rows = Array(byAnnotator[name]!.values)
            let decided = rows.filter { $0.winner != .tie && $0.shownFirst != nil }
            let shownWon = decided.filter { $0.winner == $0.shownFirst }.count
            report.annotators.append(AnnotatorStats(
                name: name, labels: rows.count,
                positionBias: decided.isEmpty ? nil : Double(shownWon) / Double(decided.count),
                tieRate: rows.isEmpty ? nil : Double(rows.filter { $0.winner == .tie }.count) / Double(rows.count),
                medianSeconds: Agreement.median(rows.compactMap(\.seconds))))
        }
        return report
    }
}
