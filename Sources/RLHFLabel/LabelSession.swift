import RLHFCore
import RLHFData
import RLHFStore

/// A pair on screen: which completion is shown first is random per pair and annotator (seeded).
public struct OfferedPair: Sendable, Equatable {
    public let pair: PairKey
    public let promptID: Int64
    public let prompt: String
    /// True when the completion with the smaller id (`first`) is shown first.
    public let firstShownFirst: Bool
    /// The two texts in shown order.
    public let shownTexts: [String]
    /// Completion ids in shown order.
    public var shownIDs: [Int64] { firstShownFirst ? [pair.first, pair.second] : [pair.second, pair.first] }
    /// True when the annotator went back to a pair they labeled before.
    public let isRevisit: Bool
}

public enum SessionEvent: Sendable, Equatable {
    case saved(labelID: Int64, pair: PairKey, winner: Winner, tieKind: TieKind?, strength: Strength?, supersedes: Int64?)
    case skipped(PairKey)
    case undone(labelID: Int64, markerID: Int64, pair: PairKey)
    case wentBack(PairKey)
    case nothingToUndo
    case nothingToGoBackTo
    case quit
}

/// One annotator's labeling session over the store: the queue, claims, decisions, undo and back.
/// The terminal screen and the scripted mode both drive exactly this type. Every label is committed in
/// its own transaction (synchronous=FULL) before `decide` returns, so an acknowledged label is on disk.
public final class LabelSession {
    public let store: Store
    public let options: SessionOptions
    public let annotatorID: Int64
    let clock: SessionClock
    let guidelineVersion: Int?

    /// Candidate pairs in queue order, and where the session is in it.
    private var queue: [CandidatePair] = []
    private var cursor = 0
    /// Pairs to offer before the queue: after undo, or the pair left when going back.
    private var requeued: [PairKey] = []
    /// Pairs this annotator labeled here, oldest first; `backPosition` indexes it while revisiting.
    private var history: [PairKey] = []
    private var backPosition: Int?
    public private(set) var current: OfferedPair?
    private var offeredAtMs: Int64 = 0
    public private(set) var labelsSaved = 0

    public init(store: Store, options: SessionOptions, clock: SessionClock = SystemClock()) throws {
        self.store = store
        self.options = options
        self.clock = clock
        annotatorID = try store.annotatorID(options.annotator)
        guidelineVersion = try store.currentGuidelines()?.version
        history = try store.labeledPairs(annotatorID: annotatorID).map(\.pair)
        try buildQueue()
    }

    /// Fewer current labels first, then a seeded random order; pairs this annotator still holds a live
    /// claim on (a session that quit or crashed) come first, so a resumed session continues there.
    private func buildQueue() throws {
        var candidates = try store.candidatePairs(options.filter, annotatorID: annotatorID)
        if options.pairs == .onePerPrompt {
            var byPrompt: [Int64: [CandidatePair]] = [:]
            for c in candidates { byPrompt[c.promptID, default: []].append(c) }
            candidates = byPrompt.keys.sorted().compactMap { prompt in
                let pairs = byPrompt[prompt]!
                return pairs[Int(options.mix(prompt, -1) % UInt64(pairs.count))]
            }
        }
        let keys = Dictionary(uniqueKeysWithValues: candidates.map { ($0.pair, options.mix($0.pair.first, $0.pair.second)) })
        candidates.sort { ($0.currentLabels, keys[$0.pair]!) < ($1.currentLabels, keys[$1.pair]!) }
        let own = try store.liveClaims(annotatorID: annotatorID, nowMs: clock.nowMs())
        let candidateSet = Set(candidates.map(\.pair))
        requeued = own.filter { candidateSet.contains($0) }
        queue = candidates
        cursor = 0
    }

    /// Pairs left in the queue (an estimate: others may take some meanwhile).
    public var remaining: Int { max(0, queue.count - cursor) + requeued.count }

    /// Claims and returns the next pair to judge, or nil when none can be claimed.
    public func next() throws -> OfferedPair? {
        let now = clock.nowMs()
        if let position = backPosition {
            return try offer(history[position], revisit: true, now: now)
        }
        while !requeued.isEmpty {
            let pair = requeued.removeFirst()
            if try store.tryClaimPair(pair, annotatorID: annotatorID, overlap: options.overlap, nowMs: now, leaseMs: options.leaseMs) {
                return try offer(pair, revisit: false, now: now)
            }
        }
        while cursor < queue.count {
            let pair = queue[cursor].pair
            cursor += 1
            if try store.tryClaimPair(pair, annotatorID: annotatorID, overlap: options.overlap, nowMs: now, leaseMs: options.leaseMs) {
                return try offer(pair, revisit: false, now: now)
            }
        }
        current = nil
        return nil
    }

    private func offer(_ pair: PairKey, revisit: Bool, now: Int64) throws -> OfferedPair {
        let texts = try store.pairTexts(pair)
        let firstShownFirst = options.mix(pair.first, pair.second, 1) & 1 == 0
        let offered = OfferedPair(pair: pair, promptID: texts.promptID, prompt: texts.prompt, firstShownFirst: firstShownFirst,
                                  shownTexts: firstShownFirst ? [texts.first, texts.second] : [texts.second, texts.first],
                                  isRevisit: revisit)
        current = offered
        offeredAtMs = now
        return offered
    }

    /// A keypress that is not a decision (scrolling, help): renews the claim on the pair on screen.
    public func touch() throws {
        guard let current, !current.isRevisit else { return }
        try store.renewClaim(current.pair, annotatorID: annotatorID, nowMs: clock.nowMs(), leaseMs: options.leaseMs)
    }

    /// Applies a decision to the pair on screen. Returns what happened; call `next()` for the next pair.
    public func decide(_ decision: Decision, rationale: String? = nil) throws -> SessionEvent {
        switch decision {
        case .quit:
            return .quit
        case .undo:
            return try undo()
        case .back:
            return try back()
        case .skip:
            guard let current else { return .quit }
            if current.isRevisit {
                forward()
            } else {
                try store.skipPair(current.pair, annotatorID: annotatorID)
            }
            self.current = nil
            return .skipped(current.pair)
        case let .choose(shownFirst, strength):
            guard let current else { return .quit }
            let winner: Winner = (shownFirst == current.firstShownFirst) ? .first : .second
            return try save(current, winner: winner, tieKind: nil, strength: strength, rationale: rationale)
        case let .tie(kind):
            guard let current else { return .quit }
            return try save(current, winner: .tie, tieKind: kind, strength: nil, rationale: rationale)
        }
    }

    private func save(_ offered: OfferedPair, winner: Winner, tieKind: TieKind?, strength: Strength?,
                      rationale: String?) throws -> SessionEvent {
        let now = clock.nowMs()
        let label = NewLabel(promptID: offered.promptID, firstID: offered.pair.first, secondID: offered.pair.second,
                             winner: winner, tieKind: tieKind, strength: strength,
                             shownFirst: offered.firstShownFirst ? .first : .second, annotatorID: annotatorID,
                             source: options.source, guidelineVersion: guidelineVersion,
                             seconds: Double(max(0, now - offeredAtMs)) / 1000, rationale: rationale)
        // One transaction: the new label, the supersede of the annotator's old label on this pair, the claim released.
        let (id, old) = try store.db.write { () throws -> (Int64, Int64?) in
            let old = try store.currentLabelID(offered.pair, annotatorID: annotatorID)
            let late = offered.isRevisit ? false : !(try store.holdsClaim(offered.pair, annotatorID: annotatorID, nowMs: now))
            let id = try store.insertLabel(label, now: Timestamp.now())
            if let old { try store.supersede(old, by: id) }
            if late { try store.markLate(id) }
            try store.releaseClaim(offered.pair, annotatorID: annotatorID)
            return (id, old)
        }
        labelsSaved += 1
        if offered.isRevisit {
            forward()
        } else {
            history.removeAll { $0 == offered.pair }
            history.append(offered.pair)
        }
        current = nil
        return .saved(labelID: id, pair: offered.pair, winner: winner, tieKind: tieKind, strength: strength, supersedes: old)
    }

    /// Sets the strength of a label just saved: a copy with the strength supersedes it (labels are
    /// never changed in place). Returns the new label's id.
    public func amendStrength(of labelID: Int64, to strength: Strength) throws -> Int64 {
        try store.db.write {
            let s = try store.db.prepare("""
                SELECT prompt_id, first_id, second_id, winner, tie_kind, shown_first, annotator_id, source, guideline_version,
                       seconds, rationale FROM labels WHERE id = ? AND kind = 'label' AND superseded_by IS NULL AND annotator_id = ?
                """)
            try s.bind([.int(labelID), .int(annotatorID)])
            guard try s.step() else { try s.reset(); throw LabelError.noSuchLabel(labelID) }
            let copy = NewLabel(promptID: s.int64(0), firstID: s.int64(1), secondID: s.int64(2), winner: Winner(rawValue: s.text(3)) ?? .tie,
                                tieKind: s.optionalText(4).flatMap(TieKind.init(rawValue:)), strength: strength,
                                shownFirst: s.optionalText(5).flatMap(Winner.init(rawValue:)), annotatorID: s.int64(6), source: s.text(7),
                                guidelineVersion: s.optionalInt(8), seconds: s.optionalDouble(9), rationale: s.optionalText(10))
            try s.reset()
            let id = try store.insertLabel(copy, now: Timestamp.now())
            try store.supersede(labelID, by: id)
            return id
        }
    }

    /// Undo supersedes the annotator's last current label (made here) with an undo marker; its pair is
    /// offered again next, then the pair that was on screen.
    private func undo() throws -> SessionEvent {
        guard let last = try store.lastOwnCurrentLabel(annotatorID: annotatorID) else { return .nothingToUndo }
        let marker = try store.undoLabel(last.id)
        if let current, !current.isRevisit { requeued.insert(current.pair, at: 0) }
        requeued.insert(last.pair, at: 0)
        backPosition = nil
        current = nil
        return .undone(labelID: last.id, markerID: marker, pair: last.pair)
    }

    /// Back goes to the pair labeled before the one on screen; judging it supersedes the old label.
    private func back() throws -> SessionEvent {
        let position = (backPosition ?? history.count) - 1
        guard position >= 0 else { return .nothingToGoBackTo }
        if let current, !current.isRevisit, backPosition == nil { requeued.insert(current.pair, at: 0) }
        backPosition = position
        current = nil
        return .wentBack(history[position])
    }

    /// After judging or skipping a revisited pair, move one step toward the present.
    private func forward() {
        guard let position = backPosition else { return }
        backPosition = position + 1 < history.count ? position + 1 : nil
    }
}
