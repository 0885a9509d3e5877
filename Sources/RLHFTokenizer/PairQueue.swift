/// The trainer's priority queue: a binary max-heap of (count, pair), the most frequent pair on top and,
/// among equal counts, the pair with the smaller (left id, right id). That tie rule is Hugging Face
/// BpeTrainer's, and our byte ids follow its alphabet order, so both learn the same merges.
///
/// Entries go stale when a merge lowers a pair's count; the trainer checks each popped entry against
/// the live count and pushes it back with that count when they differ (lazy deletion), so a count
/// change costs O(log n) only when the pair reaches the top.
struct PairQueue {
    private var counts: [Int] = []
    private var keys: [UInt64] = []

    var isEmpty: Bool { counts.isEmpty }
    var count: Int { counts.count }

    /// Whether entry `i` should sit above entry `j`.
    @inline(__always) private func above(_ i: Int, _ j: Int) -> Bool {
        counts[i] != counts[j] ? counts[i] > counts[j] : keys[i] < keys[j]
    }

    mutating func push(count: Int, key: UInt64) {
        counts.append(count)
        keys.append(key)
        var i = counts.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !above(i, parent) { break }
            counts.swapAt(i, parent)
            keys.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (count: Int, key: UInt64)? {
        guard let lastCount = counts.last, let lastKey = keys.last else { return nil }
        let top = (counts[0], keys[0])
        counts[0] = lastCount
        keys[0] = lastKey
        counts.removeLast()
        keys.removeLast()
        var i = 0
        let n = counts.count
        while true {
            let left = 2 * i + 1
            if left >= n { break }
            var best = left
            if left + 1 < n && above(left + 1, left) { best = left + 1 }
            if !above(best, i) { break }
            counts.swapAt(i, best)
            keys.swapAt(i, best)
            i = best
        }
        return top
    }
}
