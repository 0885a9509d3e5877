import Foundation
import RLHFData

/// The counts `rlhf stats` prints.
public struct StoreStats: Sendable, Equatable {
    public var schemaVersion = 0
    public var promptsBySplit: [String: Int] = [:]          // "train", ..., "unassigned"
    public var completions = 0
    public var completionsByOrigin: [String: Int] = [:]     // a completion counts once per origin it has
    public var currentLabels = 0
    public var currentLabelsByWinner: [String: Int] = [:]
    public var currentLabelsBySource: [String: Int] = [:]
    public var supersededLabels = 0
    public var rankings = 0
    public var annotators = 0
    public var currentLabelsByAnnotator: [String: Int] = [:]  // "(none)" for labels without one
    /// Current labels saved after their claim expired (the one way a pair gets more labels than asked).
    public var lateLabels = 0
    public var guidelinesVersion: Int?
}

extension Store {
    public func stats() throws -> StoreStats {
        try db.read {
            var stats = StoreStats()
            stats.schemaVersion = schemaVersion
            try forEachRow("SELECT ifnull(split, 'unassigned'), count(*) FROM prompts GROUP BY 1") {
                stats.promptsBySplit[$0.text(0)] = $0.int(1)
            }
            stats.completions = Int(try db.scalarInt("SELECT count(*) FROM completions") ?? 0)
            try forEachRow("SELECT origin, count(DISTINCT completion_id) FROM completion_origins GROUP BY origin") {
                stats.completionsByOrigin[$0.text(0)] = $0.int(1)
            }
            try forEachRow("SELECT winner, count(*) FROM current_labels GROUP BY winner") {
                stats.currentLabelsByWinner[$0.text(0)] = $0.int(1)
                stats.currentLabels += $0.int(1)
            }
            try forEachRow("SELECT source, count(*) FROM current_labels GROUP BY source") {
                stats.currentLabelsBySource[$0.text(0)] = $0.int(1)
            }
            try forEachRow("""
                SELECT ifnull(a.name, '(none)'), count(*) FROM current_labels cl
                LEFT JOIN annotators a ON a.id = cl.annotator_id GROUP BY 1
                """) { stats.currentLabelsByAnnotator[$0.text(0)] = $0.int(1) }
            stats.supersededLabels = Int(try db.scalarInt(
                "SELECT count(*) FROM labels WHERE kind = 'label' AND superseded_by IS NOT NULL") ?? 0)
            stats.rankings = Int(try db.scalarInt(
                "SELECT count(*) FROM rankings WHERE kind = 'ranking' AND superseded_by IS NULL") ?? 0)
            stats.annotators = Int(try db.scalarInt("SELECT count(*) FROM annotators") ?? 0)
            stats.lateLabels = Int(try db.scalarInt("""
                SELECT count(*) FROM late_labels ll JOIN labels l ON l.id = ll.label_id WHERE l.superseded_by IS NULL
                """) ?? 0)
            stats.guidelinesVersion = try currentGuidelines()?.version
            return stats
        }
    }

    /// Runs a query and hands each row to `body`.
    public func forEachRow(_ sql: String, _ values: [SQLValue] = [], _ body: (Statement) throws -> Void) throws {
        let s = try db.prepare(sql)
        try s.bind(values)
        while try s.step() { try body(s) }
    }
}

extension Store {
    /// Every prompt text and every completion text once (prompts of the given splits; all when empty),
    /// in id order: the corpus `rlhf tokenizer train --from-store` learns from.
    public func promptAndCompletionTexts(splits: [Split] = []) throws -> [String] {
        try db.read {
            let condition = splits.isEmpty ? "1" : "split IN (\(splits.map { _ in "?" }.joined(separator: ", ")))"
            let values = splits.map { SQLValue.text($0.rawValue) }
            var texts: [String] = []
            try forEachRow("SELECT text FROM prompts WHERE \(condition) ORDER BY id", values) { texts.append($0.text(0)) }
            try forEachRow("""
                SELECT c.text FROM completions c JOIN prompts p ON p.id = c.prompt_id WHERE \(condition.replacingOccurrences(of: "split", with: "p.split")) ORDER BY c.id
                """, values) { texts.append($0.text(0)) }
            return texts
        }
    }
}
