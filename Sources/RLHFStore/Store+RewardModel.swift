import RLHFCore
import RLHFData

/// One current judgement as the reward-model trainer takes it: `LabeledPair` plus its identity (a label
/// id, or a ranking id for one pair of a ranking), which the run's saved example list records.
public struct StoredJudgement: Sendable, Equatable {
    public let labelID: Int64?
    public let rankingID: Int64?
    public let pair: LabeledPair
}

/// A completion to score, with its prompt.
public struct ScoringRow: Sendable, Equatable {
    public let completionID: Int64
    public let promptID: Int64
    public let prompt: String
    public let completion: String
}

/// What the reward model reads and writes: judgements with their ids, judgements again by id (resume),
/// completions of a split, and rewards by reward-model checkpoint.
extension Store {
    static let judgementColumns = """
        cl.label_id, cl.ranking_id, cl.prompt_id, p.text, cl.first_id, cl.second_id, f.text, s.text, cl.winner,
        cl.tie_kind, cl.strength
        """

    static func judgement(_ r: Statement) -> StoredJudgement {
        StoredJudgement(labelID: r.isNull(0) ? nil : r.int64(0), rankingID: r.isNull(1) ? nil : r.int64(1),
                        pair: LabeledPair(promptID: r.int64(2), prompt: r.text(3), firstID: r.int64(4), secondID: r.int64(5),
                                          first: r.text(6), second: r.text(7), winner: Winner(rawValue: r.text(8)) ?? .tie,
                                          tieKind: r.optionalText(9).flatMap(TieKind.init(rawValue:)),
                                          strength: r.optionalInt(10).flatMap(Strength.init(rawValue:))))
    }

    /// Current judgements passing the filter (rankings expanded into all their pairs), ordered by prompt,
    /// then pair, then label or ranking id: the same rows as `labeledPairs`, with their ids.
    public func judgements(_ filter: LabelFilter, includeTies: Bool) throws -> [StoredJudgement] {
        try db.read {
            let (condition, values) = filter.sql()
            var result: [StoredJudgement] = []
            try forEachRow("""
                SELECT \(Self.judgementColumns)
                FROM current_labels cl JOIN prompts p ON p.id = cl.prompt_id
                JOIN completions f ON f.id = cl.first_id JOIN completions s ON s.id = cl.second_id
                LEFT JOIN annotators a ON a.id = cl.annotator_id
                WHERE \(condition) \(includeTies ? "" : "AND cl.winner <> 'tie'")
                ORDER BY cl.prompt_id, cl.first_id, cl.second_id, cl.label_id, cl.ranking_id
                """, values) { result.append(Self.judgement($0)) }
            return result
        }
    }

    /// The judgements of these labels and rankings (every pair of each ranking), whether or not they are
    /// still current: a resumed run trains on exactly what it started with. Same order as `judgements`.
    public func judgements(labelIDs: [Int64], rankingIDs: [Int64]) throws -> [StoredJudgement] {
        try db.read {
            var result: [StoredJudgement] = []
            for start in stride(from: 0, to: labelIDs.count, by: 500) {
                let chunk = Array(labelIDs[start..<min(labelIDs.count, start + 500)])
                try forEachRow("""
                    SELECT l.id, NULL, l.prompt_id, p.text, l.first_id, l.second_id, f.text, s.text, l.winner, l.tie_kind, l.strength
                    FROM labels l JOIN prompts p ON p.id = l.prompt_id
                    JOIN completions f ON f.id = l.first_id JOIN completions s ON s.id = l.second_id
                    WHERE l.kind = 'label' AND l.id IN (\(chunk.map { _ in "?" }.joined(separator: ", ")))
                    """, chunk.map { .int($0) }) { result.append(Self.judgement($0)) }
            }
            for start in stride(from: 0, to: rankingIDs.count, by: 500) {
                let chunk = Array(rankingIDs[start..<min(rankingIDs.count, start + 500)])
                try forEachRow("""
                    SELECT NULL, r.id, r.prompt_id, p.text, min(a.completion_id, b.completion_id), max(a.completion_id, b.completion_id),
                           f.text, s.text, CASE WHEN a.completion_id < b.completion_id THEN 'first' ELSE 'second' END, NULL, NULL
                    FROM rankings r JOIN prompts p ON p.id = r.prompt_id
                    JOIN ranking_items a ON a.ranking_id = r.id JOIN ranking_items b ON b.ranking_id = r.id AND a.rank < b.rank
                    JOIN completions f ON f.id = min(a.completion_id, b.completion_id)
                    JOIN completions s ON s.id = max(a.completion_id, b.completion_id)
                    WHERE r.kind = 'ranking' AND r.id IN (\(chunk.map { _ in "?" }.joined(separator: ", ")))
                    """, chunk.map { .int($0) }) { result.append(Self.judgement($0)) }
            }
            // SQLite sorts NULL first, so a ranking's pair (label id NULL) comes before a label on the same pair.
            return result.sorted {
                ($0.pair.promptID, $0.pair.firstID, $0.pair.secondID, $0.labelID ?? Int64.min, $0.rankingID ?? Int64.min)
                    < ($1.pair.promptID, $1.pair.firstID, $1.pair.secondID, $1.labelID ?? Int64.min, $1.rankingID ?? Int64.min)
            }
        }
    }

    /// Every completion of the given splits' prompts (all when empty), in completion id order.
    public func scoringRows(splits: [Split]) throws -> [ScoringRow] {
        try db.read {
            let condition = splits.isEmpty ? "1" : "p.split IN (\(splits.map { _ in "?" }.joined(separator: ", ")))"
            var result: [ScoringRow] = []
            try forEachRow("""
                SELECT c.id, p.id, p.text, c.text FROM completions c JOIN prompts p ON p.id = c.prompt_id
                WHERE \(condition) ORDER BY c.id
                """, splits.map { .text($0.rawValue) }) {
                result.append(ScoringRow(completionID: $0.int64(0), promptID: $0.int64(1), prompt: $0.text(2), completion: $0.text(3)))
            }
            return result
        }
    }

    /// The checkpoint row of a folder with this manifest hash, recorded (without a run) if there is none:
    /// the reward model's id in the store.
    public func checkpointID(manifestSHA256: String, path: String) throws -> Int64 {
        try db.write {
            if let id = try db.scalarInt("SELECT id FROM checkpoints WHERE manifest_sha256 = ? ORDER BY id LIMIT 1",
                                         [.text(manifestSHA256)]) { return id }
            try db.run("INSERT INTO checkpoints (run_id, step, path, manifest_sha256, created_at) VALUES (NULL, NULL, ?, ?, ?)",
                       [.text(path), .text(manifestSHA256), .text(Timestamp.now())])
            return db.lastInsertRowID
        }
    }

    /// Saves rewards of one reward model, replacing earlier values of the same model and completion.
    public func saveRewards(checkpointID: Int64, _ rewards: [(completionID: Int64, reward: Double, truncated: Bool)]) throws {
        try db.write {
            let s = try db.prepare("""
                INSERT INTO rewards (checkpoint_id, completion_id, reward, truncated, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (checkpoint_id, completion_id) DO UPDATE SET reward = excluded.reward,
                truncated = excluded.truncated, created_at = excluded.created_at
                """)
            let now = Timestamp.now()
            for r in rewards {
                try s.bind([.int(checkpointID), .int(r.completionID), .double(r.reward), .int(r.truncated ? 1 : 0), .text(now)])
                try s.execute()
            }
        }
    }

    /// Rewards a reward model gave: (completion id, reward, truncated) in completion id order.
    public func rewards(checkpointID: Int64) throws -> [(completionID: Int64, reward: Double, truncated: Bool)] {
        try db.read {
            var result: [(Int64, Double, Bool)] = []
            try forEachRow("SELECT completion_id, reward, truncated FROM rewards WHERE checkpoint_id = ? ORDER BY completion_id",
                           [.int(checkpointID)]) { result.append(($0.int64(0), $0.double(1), $0.int(2) == 1)) }
            return result
        }
    }
}
