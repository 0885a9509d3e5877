import RLHFCore
import RLHFStore

/// The order the labeling queue offers pairs in: pairs with fewer current labels first, then a seeded
/// random order. Built lazily, because `--pairs all` over many samples per prompt is large (50,000
/// prompts of 40 completions are 39 million pairs): at start only per-prompt counts are made; pairs are
/// generated a window of prompts at a time. Within one label level, prompts come in seeded random order
/// and the pairs of a window of prompts are shuffled together. Levels are those at session start; the
/// claim (`Store.tryClaimPair`) decides on the live store.
final class PairQueue {
    private let options: SessionOptions
    private let completions: [Int64: [Int64]]
    private let counts: [PairKey: Int]
    private let done: Set<PairKey>
    /// Prompts with a candidate pair, per level below the overlap, in seeded order.
    private var promptsByLevel: [[Int64]] = []
    private var level = 0
    private var promptCursor = 0
    private var window: [PairKey] = []
    private var windowCursor = 0
    private(set) var remaining = 0
    static let windowPrompts = 32

    init(store: Store, options: SessionOptions, annotatorID: Int64) throws {
        self.options = options
        completions = try store.eligibleCompletions(options.filter)
        done = try store.pairsDoneBy(annotatorID: annotatorID)
        let eligible = Set(completions.values.joined())
        var counts: [PairKey: Int] = [:]
        var histogram: [Int64: [Int: Int]] = [:]     // prompt -> level (>= 1) -> pairs
        for row in try store.currentLabelCounts() where eligible.contains(row.pair.first) && eligible.contains(row.pair.second) {
            counts[row.pair] = row.count
            histogram[row.promptID, default: [:]][row.count, default: 0] += 1
        }
        self.counts = counts
        let levels = max(1, options.overlap)
        promptsByLevel = Array(repeating: [], count: levels)
        for (prompt, ids) in completions where ids.count >= 2 {
            let total = ids.count * (ids.count - 1) / 2
            let labeled = histogram[prompt, default: [:]]
            var perLevel = [Int](repeating: 0, count: levels)
            perLevel[0] = total - labeled.values.reduce(0, +)
            for (l, n) in labeled where l < levels { perLevel[l] = n }
            if options.pairs == .onePerPrompt {
                // One pair per prompt, from its least-labeled level.
                if let lowest = perLevel.firstIndex(where: { $0 > 0 }) {
                    promptsByLevel[lowest].append(prompt)
                    remaining += 1
                }
            } else {
                for l in 0..<levels where perLevel[l] > 0 {
                    promptsByLevel[l].append(prompt)
                    remaining += perLevel[l]
                }
            }
        }
        for l in 0..<levels {
            promptsByLevel[l] = promptsByLevel[l].map { (options.mix($0, -10 - Int64(l)), $0) }.sorted { $0 < $1 }.map(\.1)
        }
    }

    /// The next candidate pair, or nil when every level is exhausted.
    func next() -> PairKey? {
        while true {
            if windowCursor < window.count {
                windowCursor += 1
                remaining = max(0, remaining - 1)
                return window[windowCursor - 1]
            }
            guard level < promptsByLevel.count else { return nil }
            if promptCursor >= promptsByLevel[level].count {
                level += 1
                promptCursor = 0
                continue
            }
            fillWindow()
        }
    }

    /// The pairs at the current level of the next window of prompts, shuffled together by seed.
    private func fillWindow() {
        let prompts = promptsByLevel[level][promptCursor..<min(promptCursor + Self.windowPrompts, promptsByLevel[level].count)]
        promptCursor += prompts.count
        var pairs: [(key: UInt64, pair: PairKey)] = []
        for prompt in prompts {
            guard let ids = completions[prompt] else { continue }
            var atLevel: [PairKey] = []
            for i in 0..<ids.count {
                for j in (i + 1)..<ids.count {
                    let pair = PairKey(ids[i], ids[j])
                    if (counts[pair] ?? 0) == level && !done.contains(pair) { atLevel.append(pair) }
                }
            }
            if options.pairs == .onePerPrompt {
                guard !atLevel.isEmpty else { continue }
                let pick = atLevel[Int(options.mix(prompt, -1) % UInt64(atLevel.count))]
                pairs.append((options.mix(pick.first, pick.second), pick))
            } else {
                pairs += atLevel.map { (options.mix($0.first, $0.second), $0) }
            }
        }
        pairs.sort { ($0.key, $0.pair) < ($1.key, $1.pair) }
        window = pairs.map(\.pair)
        windowCursor = 0
    }
}
