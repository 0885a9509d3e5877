import RLHFCore
import RLHFData

/// k-wise rankings (InstructGPT): an annotator orders K completions of one prompt. Read everywhere as
/// their K(K-1)/2 pairs through `current_labels`.
extension Store {
    /// Prompts with at least two eligible completions that the annotator has not ranked (currently) or
    /// skipped, with those completions and the prompt's current rankings by anyone.
    public func candidatePrompts(_ filter: QueueFilter, annotatorID: Int64) throws -> [(promptID: Int64, completions: [Int64], rankings: Int)] {
        try db.read {
            let (condition, values) = filter.sql()
            var excluded = Set<Int64>()
            try forEachRow("SELECT prompt_id FROM rankings WHERE annotator_id = ? AND kind = 'ranking' AND superseded_by IS NULL", [.int(annotatorID)]) {
                excluded.insert($0.int64(0))
            }
            try forEachRow("SELECT prompt_id FROM prompt_skips WHERE annotator_id = ?", [.int(annotatorID)]) { excluded.insert($0.int64(0)) }
            var counts: [Int64: Int] = [:]
            try forEachRow("SELECT prompt_id, count(*) FROM rankings WHERE kind = 'ranking' AND superseded_by IS NULL GROUP BY prompt_id") {
                counts[$0.int64(0)] = $0.int(1)
            }
            var byPrompt: [Int64: [Int64]] = [:]
            try forEachRow("""
                SELECT c.prompt_id, c.id FROM completions c JOIN prompts p ON p.id = c.prompt_id
                WHERE \(condition) ORDER BY c.prompt_id, c.id
                """, values) { byPrompt[$0.int64(0), default: []].append($0.int64(1)) }
            return byPrompt.keys.sorted().compactMap { prompt in
                guard let completions = byPrompt[prompt], completions.count >= 2, !excluded.contains(prompt) else { return nil }
                return (prompt, completions, counts[prompt] ?? 0)
            }
        }
    }

    public func tryClaimPrompt(_ promptID: Int64, annotatorID: Int64, overlap: Int, nowMs: Int64, leaseMs: Int64) throws -> Bool {
        try db.write {
            if try db.scalarInt("SELECT 1 FROM rankings WHERE prompt_id = ? AND annotator_id = ? AND kind = 'ranking' AND superseded_by IS NULL",
                                [.int(promptID), .int(annotatorID)]) != nil { return false }
            if try db.scalarInt("SELECT 1 FROM prompt_skips WHERE prompt_id = ? AND annotator_id = ?", [.int(promptID), .int(annotatorID)]) != nil {
                return false
            }
            let others = try db.scalarInt("""
                SELECT (SELECT count(*) FROM rankings WHERE prompt_id = ?1 AND kind = 'ranking' AND superseded_by IS NULL AND annotator_id IS NOT ?2)
                     + (SELECT count(*) FROM prompt_claims WHERE prompt_id = ?1 AND annotator_id <> ?2 AND expires_ms > ?3)
                """, [.int(promptID), .int(annotatorID), .int(nowMs)]) ?? 0
            if others >= overlap { return false }
            try db.run("""
                INSERT INTO prompt_claims (prompt_id, annotator_id, claimed_ms, expires_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (prompt_id, annotator_id) DO UPDATE SET expires_ms = excluded.expires_ms
                """, [.int(promptID), .int(annotatorID), .int(nowMs), .int(nowMs + leaseMs)])
            return true
        }
    }

    public func releasePromptClaim(_ promptID: Int64, annotatorID: Int64) throws {
        try db.write { try db.run("DELETE FROM prompt_claims WHERE prompt_id = ? AND annotator_id = ?", [.int(promptID), .int(annotatorID)]) }
    }

    public func skipPrompt(_ promptID: Int64, annotatorID: Int64) throws {
        try db.write {
            try db.run("INSERT INTO prompt_skips (prompt_id, annotator_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       [.int(promptID), .int(annotatorID), .text(Timestamp.now())])
            try releasePromptClaim(promptID, annotatorID: annotatorID)
        }
    }

    /// Records a ranking, best first, with where each completion was shown; releases the claim.
    @discardableResult
    public func insertRanking(promptID: Int64, ranked: [Int64], shownPositions: [Int64: Int], annotatorID: Int64, source: String,
                              guidelineVersion: Int?, seconds: Double?) throws -> Int64 {
        try db.write {
            try db.run("""
                INSERT INTO rankings (prompt_id, annotator_id, source, guideline_version, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, [.int(promptID), .int(annotatorID), .text(source), .optional(guidelineVersion), .optional(seconds), .text(Timestamp.now())])
            let id = db.lastInsertRowID
            for (rank, completion) in ranked.enumerated() {
                try db.run("INSERT INTO ranking_items (ranking_id, prompt_id, rank, completion_id, shown_position) VALUES (?, ?, ?, ?, ?)",
                           [.int(id), .int(promptID), .int(Int64(rank)), .int(completion), .optional(shownPositions[completion])])
            }
            try releasePromptClaim(promptID, annotatorID: annotatorID)
            return id
        }
    }

    /// Undoes the annotator's newest current ranking with an undo marker; returns (ranking, prompt).
    public func undoLastRanking(annotatorID: Int64) throws -> (rankingID: Int64, promptID: Int64)? {
        try db.write {
            let s = try db.prepare("""
                SELECT id, prompt_id, source FROM rankings WHERE annotator_id = ? AND kind = 'ranking' AND superseded_by IS NULL
                  AND external_id IS NULL ORDER BY id DESC LIMIT 1
                """)
            try s.bind([.int(annotatorID)])
            guard try s.step() else { try s.reset(); return nil }
            let (id, prompt, source) = (s.int64(0), s.int64(1), s.text(2))
            try s.reset()
            try db.run("INSERT INTO rankings (kind, prompt_id, annotator_id, source, created_at) VALUES ('undo', ?, ?, ?, ?)",
                       [.int(prompt), .int(annotatorID), .text(source), .text(Timestamp.now())])
            try db.run("UPDATE rankings SET superseded_by = ? WHERE id = ?", [.int(db.lastInsertRowID), .int(id)])
            return (id, prompt)
        }
    }

    public func promptText(_ promptID: Int64) throws -> String {
        guard let text = try db.scalarText("SELECT text FROM prompts WHERE id = ?", [.int(promptID)]) else {
            throw LabelError.noSuchLabel(promptID)
        }
        return text
    }

    public func completionText(_ id: Int64) throws -> String {
        try db.scalarText("SELECT text FROM completions WHERE id = ?", [.int(id)]) ?? ""
    }
}
