import RLHFCore
import RLHFData

/// A supervised pair as trainers take it (plain values: trainers never see the store).
public struct SFTPair: Sendable, Equatable {
    public let completionID: Int64
    public let prompt: String
    public let completion: String
}

/// One current judgement, by completion id, with texts: what the reward model trains on.
public struct LabeledPair: Sendable, Equatable {
    public let promptID: Int64
    public let prompt: String
    public let firstID: Int64
    public let secondID: Int64
    public let first: String
    public let second: String
    public let winner: Winner
    public let tieKind: TieKind?
    public let strength: Strength?
}

/// What the trainers read, always through `current_labels` for labels.
extension Store {
    /// Prompt and SFT-completion pairs of the given splits (origin `sft`), in completion id order.
    public func sftPairs(splits: [Split]) throws -> [SFTPair] {
        try db.read {
            let (condition, values) = QueueFilter(splits: splits, origin: .sft).sql()
            var result: [SFTPair] = []
            try forEachRow("""
                SELECT c.id, p.text, c.text FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE \(condition) ORDER BY c.id
                """, values) { result.append(SFTPair(completionID: $0.int64(0), prompt: $0.text(1), completion: $0.text(2))) }
            return result
        }
    }

    /// Prompts of the given splits: (id, text) in id order.
    public func prompts(splits: [Split]) throws -> [(id: Int64, text: String)] {
        try db.read {
            let condition = splits.isEmpty ? "1" : "split IN (\(splits.map { _ in "?" }.joined(separator: ", ")))"
            var result: [(Int64, String)] = []
            try forEachRow("SELECT id, text FROM prompts WHERE \(condition) ORDER BY id", splits.map { .text($0.rawValue) }) {
                result.append(($0.int64(0), $0.text(1)))
            }
            return result
        }
    }

    /// Current labels (rankings expanded) passing the filter, grouped by prompt in prompt order, so a
    /// trainer can put all pairs of one prompt in one batch.
    public func labeledPairs(_ filter: LabelFilter, includeTies: Bool) throws -> [LabeledPair] {
        try db.read {
            let (condition, values) = filter.sql()
            var result: [LabeledPair] = []
            try forEachRow("""
                SELECT cl.prompt_id, p.text, cl.first_id, cl.second_id, f.text, s.text, cl.winner, cl.tie_kind, cl.strength
                FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id
                JOIN completions f ON f.id = cl.first_id JOIN completions s ON s.id = cl.second_id
                LEFT JOIN annotators a ON a.id = cl.annotator_id
                WHERE \(condition) \(includeTies ? "" : "AND cl.winner <> 'tie'")
                ORDER BY cl.prompt_id, cl.first_id, cl.second_id, cl.label_id, cl.ranking_id
                """, values) { r in
                result.append(LabeledPair(promptID: r.int64(0), prompt: r.text(1), firstID: r.int64(2), secondID: r.int64(3),
                                          first: r.text(4), second: r.text(5), winner: Winner(rawValue: r.text(6)) ?? .tie,
                                          tieKind: r.optionalText(7).flatMap(TieKind.init(rawValue:)),
                                          strength: r.optionalInt(8).flatMap(Strength.init(rawValue:))))
            }
            return result
        }
    }

    /// Stores one sampled completion with its provenance (checkpoint, settings, seed, sample index).
    /// The same text sampled again is the same completion row with one more provenance. True when the
    /// completion row is new.
    @discardableResult
    public func addGenerated(promptID: Int64, text: String, arrivalID: Int64, sampleIndex: Int, now: String) throws -> Bool {
        try db.write {
            let c = try upsertCompletion(promptID: promptID, text: HashedText(text), now: now)
            try addProvenance(completionID: c.id, arrivalID: arrivalID, sampleIndex: sampleIndex)
            return c.isNew
        }
    }
}
