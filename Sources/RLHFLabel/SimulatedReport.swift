import RLHFCore
import RLHFData
import RLHFStore

/// How labels compare with the gold rule: per annotator, pooled, and by majority vote, beside the
/// agreement figures of `rlhf agreement`. The pooled accuracy is the noise ceiling of a reward model
/// trained on these labels: a model that had learned the gold rule exactly would agree with the labels
/// that often and no more.
public struct SimulatedReport: Sendable {
    public struct Accuracy: Sendable, Equatable {
        public var name: String
        /// Current labels (one per pair: the annotator's newest).
        public var labels = 0
        /// Labels with a winner on pairs where the gold rule has one: what accuracy is counted over.
        public var decided = 0
        public var correct = 0
        /// Tie labels, and how many of them fell on pairs of equal gold scores.
        public var ties = 0
        public var tiesOnGoldTies = 0
        /// Labels on pairs of equal gold scores (no right answer).
        public var onGoldTies = 0
        public var accuracy: Double? { decided == 0 ? nil : Double(correct) / Double(decided) }
        public var tieRate: Double? { labels == 0 ? nil : Double(ties) / Double(labels) }

        mutating func add(winner: Winner, goldFirst: Int, goldSecond: Int) {
            labels += 1
            if winner == .tie { ties += 1 }
            if goldFirst == goldSecond {
                onGoldTies += 1
                if winner == .tie { tiesOnGoldTies += 1 }
                return
            }
            guard winner != .tie else { return }
            decided += 1
            if (winner == .first) == (goldFirst > goldSecond) { correct += 1 }
        }
    }

    public var annotators: [Accuracy] = []
    public var pooled = Accuracy(name: "(all)")
    /// Pairs with two or more labels and a strict majority winner, scored against gold.
    public var majority = Accuracy(name: "(majority)")
    /// The length-only rule on the labeled pairs with a gold winner: how far length predicts gold here.
    public var lengthOnly = LengthOnlyRule(unit: .characters)
    public var agreement = AgreementReport()

    /// Reads `current_labels` of `annotators` (default: everyone with a current simulated label) in
    /// `splits` (default all) and scores each label's pair with the gold rule.
    public static func compute(store: Store, splits: [Split] = [], annotators only: [String] = []) throws -> SimulatedReport {
        var names = only
        if names.isEmpty {
            try store.forEachRow("""
                SELECT DISTINCT a.name FROM current_labels cl JOIN annotators a ON a.id = cl.annotator_id
                WHERE cl.source = 'simulated' ORDER BY a.name
                """) { names.append($0.text(0)) }
        }
        var report = SimulatedReport()
        guard !names.isEmpty else { return report }
        let (condition, values) = LabelFilter(splits: splits, annotators: names).sql()
        var votes: [PairKey: (gold: (Int, Int), winners: [Winner])] = [:]
        var goldCache: [Int64: Int] = [:]
        func gold(_ id: Int64, _ text: String) -> Int {
            if let g = goldCache[id] { return g }
            let g = GoldScore.score(text)
            goldCache[id] = g
            return g
        }
        // One value per annotator and pair (the newest), as `rlhf agreement` counts.
        var newest: [String: [PairKey: Winner]] = [:]
        var texts: [PairKey: (String, String)] = [:]
        try store.forEachRow("""
            SELECT a.name, cl.first_id, cl.second_id, cl.winner, f.text, s.text
            FROM current_labels cl JOIN annotators a ON a.id = cl.annotator_id JOIN prompts p ON p.id = cl.prompt_id
            JOIN completions f ON f.id = cl.first_id JOIN completions s ON s.id = cl.second_id
            WHERE \(condition)
            ORDER BY cl.label_id IS NULL, cl.label_id, cl.ranking_id
            """, values) { r in
            let pair = PairKey(r.int64(1), r.int64(2))
            newest[r.text(0), default: [:]][pair] = Winner(rawValue: r.text(3)) ?? .tie
            if texts[pair] == nil {
                texts[pair] = (r.text(4), r.text(5))
                _ = gold(pair.first, r.text(4)); _ = gold(pair.second, r.text(5))
            }
        }
        for name in names.sorted() {
            var accuracy = Accuracy(name: name)
            for (pair, winner) in newest[name] ?? [:] {
                let g = (goldCache[pair.first] ?? 0, goldCache[pair.second] ?? 0)
                accuracy.add(winner: winner, goldFirst: g.0, goldSecond: g.1)
                report.pooled.add(winner: winner, goldFirst: g.0, goldSecond: g.1)
                votes[pair, default: (g, [])].winners.append(winner)
            }
            report.annotators.append(accuracy)
        }
        for (pair, vote) in votes.sorted(by: { $0.key < $1.key }) {
            if vote.gold.0 != vote.gold.1, let (a, b) = texts[pair] {
                report.lengthOnly.add(winner: vote.gold.0 > vote.gold.1 ? a : b, loser: vote.gold.0 > vote.gold.1 ? b : a)
            }
            guard vote.winners.count >= 2 else { continue }
            var counts: [Winner: Int] = [:]
            for w in vote.winners { counts[w, default: 0] += 1 }
            if let top = counts.max(by: { $0.value < $1.value }), top.value * 2 > vote.winners.count {
                report.majority.add(winner: top.key, goldFirst: vote.gold.0, goldSecond: vote.gold.1)
            }
        }
        report.agreement = try AgreementReport.compute(store: store, splits: splits, annotators: names)
        return report
    }
}
