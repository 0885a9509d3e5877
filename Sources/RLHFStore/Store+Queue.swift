import RLHFCore
import RLHFData

/// Which completions the labeling queue draws pairs from.
public struct QueueFilter: Sendable {
    public var splits: [Split] = []
    public var origin: Origin?
    public var checkpointID: Int64?
    public init(splits: [Split] = [], origin: Origin? = nil, checkpointID: Int64? = nil) {
        self.splits = splits
        self.origin = origin
        self.checkpointID = checkpointID
    }
}

extension QueueFilter {
    /// The condition over `c` (completions) and `p` (prompts) that a completion passes, with its values.
    func sql() -> (condition: String, values: [SQLValue]) {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if !splits.isEmpty {
            conditions.append("p.split IN (\(splits.map { _ in "?" }.joined(separator: ", ")))")
            values += splits.map { .text($0.rawValue) }
        }
        if origin != nil || checkpointID != nil {
            // Provenance rows, and the runs imports record for the completions they created.
            var arrival = ""
            var arrivalValues: [SQLValue] = []
            if let origin { arrival += " AND a.origin = ?"; arrivalValues.append(.text(origin.rawValue)) }
            if let checkpointID { arrival += " AND a.checkpoint_id = ?"; arrivalValues.append(.int(checkpointID)) }
            values += arrivalValues + arrivalValues
            conditions.append("""
                (EXISTS (SELECT 1 FROM completion_provenance cp JOIN arrivals a ON a.id = cp.arrival_id WHERE cp.completion_id = c.id\(arrival))
                 OR EXISTS (SELECT 1 FROM completion_provenance_runs r JOIN arrivals a ON a.id = r.arrival_id
                            WHERE c.id BETWEEN r.first_completion_id AND r.last_completion_id\(arrival)))
                """)
        }
        return (conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), values)
    }
}

public struct PairKey: Hashable, Sendable, Comparable {
    public let first: Int64
    public let second: Int64
    public init(_ a: Int64, _ b: Int64) {
        first = min(a, b)
        second = max(a, b)
    }
    public static func < (l: PairKey, r: PairKey) -> Bool { (l.first, l.second) < (r.first, r.second) }
}

/// The labeling queue's reads and claims. Availability is decided under the write lock
/// (`tryClaimPair`), so two sessions never both get a pair the overlap gives to one.
extension Store {
    /// Eligible completions by prompt (ids ascending): what the labeling queue pairs up.
    public func eligibleCompletions(_ filter: QueueFilter) throws -> [Int64: [Int64]] {
        try db.read {
            let (condition, values) = filter.sql()
            var byPrompt: [Int64: [Int64]] = [:]
            try forEachRow("""
                SELECT c.prompt_id, c.id FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE \(condition) ORDER BY c.prompt_id, c.id
                """, values) { byPrompt[$0.int64(0), default: []].append($0.int64(1)) }
            return byPrompt
        }
    }

    /// Current labels per labeled pair, with the pair's prompt (one pass over `current_labels`).
    public func currentLabelCounts() throws -> [(promptID: Int64, pair: PairKey, count: Int)] {
        try db.read {
            var result: [(Int64, PairKey, Int)] = []
            try forEachRow("SELECT prompt_id, first_id, second_id, count(*) FROM current_labels GROUP BY first_id, second_id") {
                result.append(($0.int64(0), PairKey($0.int64(1), $0.int64(2)), $0.int(3)))
            }
            return result
        }
    }

    /// Pairs the annotator has a current label on or skipped: never offered to them by the queue.
    public func pairsDoneBy(annotatorID: Int64) throws -> Set<PairKey> {
        try db.read {
            var done = Set<PairKey>()
            try forEachRow("SELECT first_id, second_id FROM current_labels WHERE annotator_id = ?", [.int(annotatorID)]) {
                done.insert(PairKey($0.int64(0), $0.int64(1)))
            }
            try forEachRow("SELECT first_id, second_id FROM pair_skips WHERE annotator_id = ?", [.int(annotatorID)]) {
                done.insert(PairKey($0.int64(0), $0.int64(1)))
            }
            return done
        }
    }

    /// Current labels on the pair by anyone but `annotatorID` (imported labels without an annotator
    /// count), rankings included: the same meaning as `current_labels`, by index lookups.
    public func labelsByOthers(_ pair: PairKey, annotatorID: Int64) throws -> Int {
        Int(try db.scalarInt("""
            SELECT (SELECT count(*) FROM labels WHERE first_id = ?1 AND second_id = ?2 AND kind = 'label'
                      AND superseded_by IS NULL AND annotator_id IS NOT ?3)
                 + (SELECT count(*) FROM ranking_items a JOIN ranking_items b ON b.ranking_id = a.ranking_id AND b.completion_id = ?2
                      JOIN rankings r ON r.id = a.ranking_id
                    WHERE a.completion_id = ?1 AND r.kind = 'ranking' AND r.superseded_by IS NULL AND r.annotator_id IS NOT ?3)
            """, [.int(pair.first), .int(pair.second), .int(annotatorID)]) ?? 0)
    }

    /// The annotator's current label on the pair, if any.
    public func currentLabelID(_ pair: PairKey, annotatorID: Int64) throws -> Int64? {
        try db.scalarInt("""
            SELECT id FROM labels WHERE annotator_id = ? AND first_id = ? AND second_id = ? AND kind = 'label'
              AND superseded_by IS NULL ORDER BY id DESC LIMIT 1
            """, [.int(annotatorID), .int(pair.first), .int(pair.second)])
    }

    /// Claims the pair for the annotator if the overlap still asks for a label from them: they have no
    /// current label on it, have not skipped it, and current labels plus live claims by others are fewer
    /// than `overlap`. Renews the annotator's own claim. Decided under the write lock.
    public func tryClaimPair(_ pair: PairKey, annotatorID: Int64, overlap: Int, nowMs: Int64, leaseMs: Int64) throws -> Bool {
        try db.write {
            if try currentLabelID(pair, annotatorID: annotatorID) != nil { return false }
            if try db.scalarInt("SELECT 1 FROM pair_skips WHERE first_id = ? AND second_id = ? AND annotator_id = ?",
                                [.int(pair.first), .int(pair.second), .int(annotatorID)]) != nil { return false }
            let claims = try db.scalarInt("""
                SELECT count(*) FROM pair_claims WHERE first_id = ? AND second_id = ? AND annotator_id <> ? AND expires_ms > ?
                """, [.int(pair.first), .int(pair.second), .int(annotatorID), .int(nowMs)]) ?? 0
            if try labelsByOthers(pair, annotatorID: annotatorID) + Int(claims) >= overlap { return false }
            try db.run("""
                INSERT INTO pair_claims (first_id, second_id, annotator_id, claimed_ms, expires_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (first_id, second_id, annotator_id) DO UPDATE SET expires_ms = excluded.expires_ms
                """, [.int(pair.first), .int(pair.second), .int(annotatorID), .int(nowMs), .int(nowMs + leaseMs)])
            return true
        }
    }

    /// Extends the annotator's claim (every keypress). Returns false when the claim is gone.
    @discardableResult
    public func renewClaim(_ pair: PairKey, annotatorID: Int64, nowMs: Int64, leaseMs: Int64) throws -> Bool {
        try db.write {
            try db.run("UPDATE pair_claims SET expires_ms = ? WHERE first_id = ? AND second_id = ? AND annotator_id = ?",
                       [.int(nowMs + leaseMs), .int(pair.first), .int(pair.second), .int(annotatorID)])
            return db.changes == 1
        }
    }

    /// True while the annotator's claim on the pair is live.
    public func holdsClaim(_ pair: PairKey, annotatorID: Int64, nowMs: Int64) throws -> Bool {
        try db.scalarInt("SELECT 1 FROM pair_claims WHERE first_id = ? AND second_id = ? AND annotator_id = ? AND expires_ms > ?",
                         [.int(pair.first), .int(pair.second), .int(annotatorID), .int(nowMs)]) != nil
    }

    /// Records that a label arrived after its claim had expired (it still counts).
    public func markLate(_ labelID: Int64) throws {
        try db.run("INSERT INTO late_labels (label_id) VALUES (?)", [.int(labelID)])
    }

    public func releaseClaim(_ pair: PairKey, annotatorID: Int64) throws {
        try db.write {
            try db.run("DELETE FROM pair_claims WHERE first_id = ? AND second_id = ? AND annotator_id = ?",
                       [.int(pair.first), .int(pair.second), .int(annotatorID)])
        }
    }

    /// The annotator's live claims, oldest first: a resumed session continues with these.
    public func liveClaims(annotatorID: Int64, nowMs: Int64) throws -> [PairKey] {
        var result: [PairKey] = []
        try forEachRow("SELECT first_id, second_id FROM pair_claims WHERE annotator_id = ? AND expires_ms > ? ORDER BY claimed_ms, first_id, second_id",
                       [.int(annotatorID), .int(nowMs)]) { result.append(PairKey($0.int64(0), $0.int64(1))) }
        return result
    }

    /// The annotator will not be offered this pair again; the claim goes.
    public func skipPair(_ pair: PairKey, annotatorID: Int64) throws {
        try db.write {
            try db.run("INSERT INTO pair_skips (first_id, second_id, annotator_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       [.int(pair.first), .int(pair.second), .int(annotatorID), .text(Timestamp.now())])
            try releaseClaim(pair, annotatorID: annotatorID)
        }
    }

    /// The annotator's newest current label made here (not imported), for undo.
    public func lastOwnCurrentLabel(annotatorID: Int64) throws -> (id: Int64, pair: PairKey, promptID: Int64)? {
        let s = try db.prepare("""
            SELECT id, first_id, second_id, prompt_id FROM labels WHERE annotator_id = ? AND kind = 'label'
              AND superseded_by IS NULL AND external_id IS NULL ORDER BY id DESC LIMIT 1
            """)
        try s.bind([.int(annotatorID)])
        defer { try? s.reset() }
        guard try s.step() else { return nil }
        return (s.int64(0), PairKey(s.int64(1), s.int64(2)), s.int64(3))
    }

    /// The pairs this annotator has labeled here, newest last (each pair once, at its latest label).
    public func labeledPairs(annotatorID: Int64) throws -> [(pair: PairKey, promptID: Int64)] {
        var result: [(PairKey, Int64)] = []
        try forEachRow("""
            SELECT first_id, second_id, prompt_id FROM labels WHERE annotator_id = ? AND external_id IS NULL
            GROUP BY first_id, second_id ORDER BY max(id)
            """, [.int(annotatorID)]) { result.append((PairKey($0.int64(0), $0.int64(1)), $0.int64(2))) }
        return result
    }

    /// The prompt and the two completion texts of a pair.
    public func pairTexts(_ pair: PairKey) throws -> (promptID: Int64, prompt: String, first: String, second: String) {
        let s = try db.prepare("""
            SELECT p.id, p.text, f.text, s.text FROM completions f JOIN completions s ON s.id = ?
            JOIN prompts p ON p.id = f.prompt_id WHERE f.id = ?
            """)
        try s.bind([.int(pair.second), .int(pair.first)])
        defer { try? s.reset() }
        guard try s.step() else { throw LabelError.noSuchPair(pair.first, pair.second) }
        return (s.int64(0), s.text(1), s.text(2), s.text(3))
    }

    /// The latest guidelines version, or nil when none were ever set.
    public func currentGuidelines() throws -> (version: Int, text: String)? {
        let s = try db.prepare("SELECT version, text FROM guidelines ORDER BY version DESC LIMIT 1")
        defer { try? s.reset() }
        guard try s.step() else { return nil }
        return (s.int(0), s.text(1))
    }

    /// Stores a new version of the labeling guidelines; returns its number (1, 2, ...).
    public func setGuidelines(_ text: String) throws -> Int {
        try db.write {
            let next = Int(try db.scalarInt("SELECT ifnull(max(version), 0) + 1 FROM guidelines") ?? 1)
            try db.run("INSERT INTO guidelines (version, text, created_at) VALUES (?, ?, ?)",
                       [.int(Int64(next)), .text(text), .text(Timestamp.now())])
            return next
        }
    }
}
