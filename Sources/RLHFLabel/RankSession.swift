import RLHFCore
import RLHFData
import RLHFStore

/// K completions of one prompt on screen, in shown order (letters a, b, c, ...).
public struct OfferedRanking: Sendable, Equatable {
    public let promptID: Int64
    public let prompt: String
    public let shownIDs: [Int64]
    public let shownTexts: [String]
}

public enum RankEvent: Sendable, Equatable {
    case saved(rankingID: Int64, ranked: [Int64])
    case skipped(promptID: Int64)
    case undone(rankingID: Int64, promptID: Int64)
    case nothingToUndo
    case quit
}

/// InstructGPT-style ranking: the annotator orders up to K completions of one prompt, best first.
/// Same queue rules as pairs (fewer rankings first, seeded order, claims with leases, overlap, skips).
public final class RankSession {
    public let store: Store
    public let options: SessionOptions
    public let k: Int
    public let annotatorID: Int64
    let clock: SessionClock
    let guidelineVersion: Int?
    private var queue: [(promptID: Int64, completions: [Int64])] = []
    private var requeued: [(promptID: Int64, completions: [Int64])] = []
    private var cursor = 0
    public private(set) var current: OfferedRanking?
    private var offeredAtMs: Int64 = 0
    public private(set) var labelsSaved = 0

    public init(store: Store, options: SessionOptions, k: Int = 4, clock: SessionClock = SystemClock()) throws {
        precondition(k >= 2)
        self.store = store
        self.options = options
        self.k = k
        self.clock = clock
        annotatorID = try store.annotatorID(options.annotator)
        guidelineVersion = try store.currentGuidelines()?.version
        let candidates = try store.candidatePrompts(options.filter, annotatorID: annotatorID)
        queue = candidates.sorted { a, b in
            (a.rankings, options.mix(a.promptID, -2)) < (b.rankings, options.mix(b.promptID, -2))
        }.map { ($0.promptID, $0.completions) }
    }

    public var remaining: Int { max(0, queue.count - cursor) + requeued.count }

    public func next() throws -> OfferedRanking? {
        let now = clock.nowMs()
        while true {
            let item: (promptID: Int64, completions: [Int64])
            if !requeued.isEmpty { item = requeued.removeFirst() } else if cursor < queue.count { item = queue[cursor]; cursor += 1 } else { break }
            guard try store.tryClaimPrompt(item.promptID, annotatorID: annotatorID, overlap: options.overlap, nowMs: now, leaseMs: options.leaseMs) else { continue }
            // A seeded random subset of K, in a seeded random shown order.
            var shown = item.completions
            var random = SeededRandom(seed: options.mix(item.promptID, -3))
            random.shuffle(&shown)
            shown = Array(shown.prefix(k))
            let offered = OfferedRanking(promptID: item.promptID, prompt: try store.promptText(item.promptID), shownIDs: shown,
                                         shownTexts: try shown.map { try store.completionText($0) })
            current = offered
            offeredAtMs = now
            return offered
        }
        current = nil
        return nil
    }

    /// An ordering of the shown letters, best first ("cabd" or "c a b d"), must name every shown one once.
    public static func parseOrder(_ line: String, count: Int) -> [Int]? {
        let letters = line.filter { !$0.isWhitespace && $0 != "," && $0 != ">" }
        let positions = letters.compactMap { c -> Int? in
            guard let a = c.asciiValue, a >= 97, a < 97 + UInt8(count) else { return nil }
            return Int(a - 97)
        }
        guard positions.count == letters.count, positions.count == count, Set(positions).count == count else { return nil }
        return positions
    }

    public func rank(_ order: [Int]) throws -> RankEvent {
        guard let current else { return .quit }
        let ranked = order.map { current.shownIDs[$0] }
        let shown = Dictionary(uniqueKeysWithValues: current.shownIDs.enumerated().map { ($1, $0) })
        let id = try store.insertRanking(promptID: current.promptID, ranked: ranked, shownPositions: shown, annotatorID: annotatorID,
                                         source: options.source, guidelineVersion: guidelineVersion,
                                         seconds: Double(max(0, clock.nowMs() - offeredAtMs)) / 1000)
        labelsSaved += 1
        self.current = nil
        return .saved(rankingID: id, ranked: ranked)
    }

    public func skip() throws -> RankEvent {
        guard let current else { return .quit }
        try store.skipPrompt(current.promptID, annotatorID: annotatorID)
        self.current = nil
        return .skipped(promptID: current.promptID)
    }

    public func undo() throws -> RankEvent {
        guard let last = try store.undoLastRanking(annotatorID: annotatorID) else { return .nothingToUndo }
        if let current { requeued.insert((current.promptID, queue.first { $0.promptID == current.promptID }?.completions ?? current.shownIDs), at: 0) }
        var completions = queue.first { $0.promptID == last.promptID }?.completions ?? []
        if completions.isEmpty {
            completions = try store.candidatePrompts(options.filter, annotatorID: annotatorID).first { $0.promptID == last.promptID }?.completions ?? []
        }
        if !completions.isEmpty { requeued.insert((last.promptID, completions), at: 0) }
        current = nil
        return .undone(rankingID: last.rankingID, promptID: last.promptID)
    }
}
