import RLHFData

/// A judgement to record. The pair is given in id order (first < second); `winner` is by id, and
/// `shownFirst` says which of the two was on screen first (left or top), when known.
public struct NewLabel: Sendable {
    public var promptID: Int64
    public var firstID: Int64
    public var secondID: Int64
    public var winner: Winner
    public var tieKind: TieKind?
    public var strength: Strength?
    public var shownFirst: Winner?
    public var annotatorID: Int64?
    public var source: String
    public var guidelineVersion: Int?
    public var seconds: Double?
    public var rationale: String?

    public init(promptID: Int64, firstID: Int64, secondID: Int64, winner: Winner, tieKind: TieKind? = nil,
                strength: Strength? = nil, shownFirst: Winner? = nil, annotatorID: Int64?, source: String = "human",
                guidelineVersion: Int? = nil, seconds: Double? = nil, rationale: String? = nil) {
        precondition(firstID < secondID, "a pair is (first, second) with first < second")
        precondition(shownFirst != .tie)
        self.promptID = promptID
        self.firstID = firstID
        self.secondID = secondID
        self.winner = winner
        self.tieKind = winner == .tie ? (tieKind ?? .plain) : nil
        self.strength = strength
        self.shownFirst = shownFirst
        self.annotatorID = annotatorID
        self.source = source
        self.guidelineVersion = guidelineVersion
        self.seconds = seconds
        self.rationale = rationale
    }
}

/// Recording judgements. Labels are never deleted or changed: a correction is a new label that
/// supersedes the old one, an undo is a marker row that supersedes it (the store's triggers refuse
/// anything else). Call inside `db.write { }`, or alone for a one-statement transaction.
extension Store {
    @discardableResult
    public func insertLabel(_ label: NewLabel, now: String = Timestamp.now()) throws -> Int64 {
        try db.write {
            try db.run("""
                INSERT INTO labels (prompt_id, first_id, second_id, winner, tie_kind, strength, shown_first, annotator_id,
                                    source, guideline_version, seconds, rationale, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.int(label.promptID), .int(label.firstID), .int(label.secondID), .text(label.winner.rawValue),
                      .optional(label.tieKind?.rawValue), .optional(label.strength?.rawValue),
                      .optional(label.shownFirst?.rawValue), .optional(label.annotatorID), .text(label.source),
                      .optional(label.guidelineVersion), .optional(label.seconds), .optional(label.rationale), .text(now)])
            return db.lastInsertRowID
        }
    }

    /// Marks `labelID` as replaced by the later label `newLabelID` of the same annotator and pair.
    public func supersede(_ labelID: Int64, by newLabelID: Int64) throws {
        try db.write {
            try db.run("UPDATE labels SET superseded_by = ? WHERE id = ?", [.int(newLabelID), .int(labelID)])
            guard db.changes == 1 else { throw LabelError.noSuchLabel(labelID) }
        }
    }

    /// Undoes a label: an undo marker row (same annotator and pair, no winner) supersedes it.
    @discardableResult
    public func undoLabel(_ labelID: Int64, now: String = Timestamp.now()) throws -> Int64 {
        try db.write {
            let s = try db.prepare("SELECT prompt_id, first_id, second_id, annotator_id, source FROM labels WHERE id = ? AND kind = 'label'")
            try s.bind([.int(labelID)])
            guard try s.step() else { throw LabelError.noSuchLabel(labelID) }
            let values: [SQLValue] = [.int(s.int64(0)), .int(s.int64(1)), .int(s.int64(2)),
                                      s.isNull(3) ? .null : .int(s.int64(3)), .text(s.text(4)), .text(now)]
            try s.reset()
            try db.run("""
                INSERT INTO labels (kind, prompt_id, first_id, second_id, annotator_id, source, created_at)
                VALUES ('undo', ?, ?, ?, ?, ?, ?)
                """, values)
            let marker = db.lastInsertRowID
            try supersede(labelID, by: marker)
            return marker
        }
    }
}

public enum LabelError: Error, CustomStringConvertible {
    case noSuchLabel(Int64)
    case noSuchPair(Int64, Int64)
    public var description: String {
        switch self {
        case .noSuchLabel(let id): return "no current label with id \(id)"
        case let .noSuchPair(a, b): return "completions \(a) and \(b) are not a pair of one prompt"
        }
    }
}
