/// Applies the merges to one pre-tokenized piece: start from its byte tokens, then repeatedly merge the
/// adjacent pair of lowest rank (the leftmost one when a pair occurs twice), until no pair has a rank.
/// This is OpenAI's `encoder.py` `bpe()` and what tiktoken and Hugging Face compute.
///
/// Two algorithms, same result (the tests run both on every reference case):
/// - short pieces (almost all): the symbols and the rank of each adjacent pair in two small arrays;
///   each merge scans for the minimum and shifts the tail. O(n^2) in the piece length n, but n is
///   usually under 10 and the arrays stay in L1.
/// - long pieces (a run of 10,000 spaces or a base64 blob is one piece): a linked list of symbols and a
///   min-heap of (rank, position), stale entries skipped when popped. O(n log n), so a hostile input
///   cannot make encoding quadratic.
final class PieceMerger {
    /// Longest piece handled by the quadratic scan.
    let shortLimit: Int
    private var capacity = 0
    private var symbols: UnsafeMutablePointer<UInt32>
    private var ranks: UnsafeMutablePointer<UInt64>   // rank << 32 | merged id; UInt64.max = no merge
    private var next: UnsafeMutablePointer<Int32>
    private var previous: UnsafeMutablePointer<Int32>
    private var heap: UnsafeMutablePointer<UInt64>    // rank << 32 | position

    init(shortLimit: Int = 128) {
        self.shortLimit = shortLimit
        symbols = .allocate(capacity: 1)
        ranks = .allocate(capacity: 1)
        next = .allocate(capacity: 1)
        previous = .allocate(capacity: 1)
        heap = .allocate(capacity: 1)
        reserve(256)
    }

    deinit {
        symbols.deallocate()
        ranks.deallocate()
        next.deallocate()
        previous.deallocate()
        heap.deallocate()
    }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        var c = max(capacity, 256)
        while c < n { c *= 2 }
        symbols.deallocate(); symbols = .allocate(capacity: c)
        ranks.deallocate(); ranks = .allocate(capacity: c)
        next.deallocate(); next = .allocate(capacity: c)
        previous.deallocate(); previous = .allocate(capacity: c)
        // Each merge pushes at most 2 entries on top of the n - 1 initial ones.
        heap.deallocate(); heap = .allocate(capacity: 3 * c)
        capacity = c
    }

    /// Merges the piece `bytes[0..<n]` and calls `emit` with each resulting token id, in order.
    @inline(__always)
    func merge(_ bytes: UnsafePointer<UInt8>, _ n: Int, vocabulary: BPEVocabulary, emit: (UInt32) -> Void) {
        reserve(n)
        if n <= shortLimit {
            let count = mergeShort(bytes, n, vocabulary)
            for k in 0..<count { emit(symbols[k]) }
        } else {
            mergeLong(bytes, n, vocabulary)
            var k: Int32 = 0
            while k >= 0 {
                emit(symbols[Int(k)])
                k = next[Int(k)]
            }
        }
    }

    /// The quadratic scan; returns how many symbols remain in `symbols`.
    private func mergeShort(_ bytes: UnsafePointer<UInt8>, _ n: Int, _ vocabulary: BPEVocabulary) -> Int {
        let table = vocabulary.mergeTable
        let none = UInt64.max
        vocabulary.byteTokenIDs.withUnsafeBufferPointer { byteIDs in
            for k in 0..<n { symbols[k] = byteIDs[Int(bytes[k])] }
        }
        var m = n
        if m < 2 { return m }
        for k in 0..<(m - 1) { ranks[k] = table.get(PairTable.key(symbols[k], symbols[k + 1]), missing: none) }
        while m > 1 {
            var best = none
            var at = 0
            for k in 0..<(m - 1) where ranks[k] < best {
                best = ranks[k]
                at = k
            }
            if best == none { break }
            symbols[at] = UInt32(truncatingIfNeeded: best)
            // Drop symbol at+1 and the rank of the merged pair.
            var k = at + 1
            while k < m - 1 { symbols[k] = symbols[k + 1]; k += 1 }
            k = at
            while k < m - 2 { ranks[k] = ranks[k + 1]; k += 1 }
            m -= 1
            if at > 0 { ranks[at - 1] = table.get(PairTable.key(symbols[at - 1], symbols[at]), missing: none) }
            if at < m - 1 { ranks[at] = table.get(PairTable.key(symbols[at], symbols[at + 1]), missing: none) }
        }
        return m
    }

    /// The heap version; leaves a list in `symbols`/`next` starting at 0.
    private func mergeLong(_ bytes: UnsafePointer<UInt8>, _ n: Int, _ vocabulary: BPEVocabulary) {
        let table = vocabulary.mergeTable
        let none = UInt64.max
        vocabulary.byteTokenIDs.withUnsafeBufferPointer { byteIDs in
            for k in 0..<n {
                symbols[k] = byteIDs[Int(bytes[k])]
                next[k] = k + 1 < n ? Int32(k + 1) : -1
                previous[k] = Int32(k - 1)
            }
        }
        var heapCount = 0
        func push(_ value: UInt64) {
            var i = heapCount
            heapCount += 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent] <= value { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = value
        }
        func pop() -> UInt64 {
            let top = heap[0]
            heapCount -= 1
            let last = heap[heapCount]
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= heapCount { break }
                if child + 1 < heapCount && heap[child + 1] < heap[child] { child += 1 }
                if heap[child] >= last { break }
                heap[i] = heap[child]
                i = child
            }
            heap[i] = last
            return top
        }
        func rankAt(_ left: Int) -> UInt64 {
            let right = Int(next[left])
            if right < 0 { return none }
            return table.get(PairTable.key(symbols[left], symbols[right]), missing: none)
        }
        for k in 0..<(n - 1) {
            let r = rankAt(k)
            if r != none { push(r & 0xFFFF_FFFF_0000_0000 | UInt64(k)) }
        }
        // A removed symbol gets symbol id UInt32.max so stale heap entries that name it fail the check.
        while heapCount > 0 {
            let top = pop()
            let left = Int(top & 0xFFFF_FFFF)
            if symbols[left] == UInt32.max { continue }
            let current = rankAt(left)
            if current == none || current >> 32 != top >> 32 { continue }
            let right = Int(next[left])
            symbols[left] = UInt32(truncatingIfNeeded: current)
            symbols[right] = UInt32.max
            let after = next[right]
            next[left] = after
            if after >= 0 { previous[Int(after)] = Int32(left) }
            let before = Int(previous[left])
            if before >= 0 {
                let r = rankAt(before)
                if r != none { push(r & 0xFFFF_FFFF_0000_0000 | UInt64(before)) }
            }
            let r = rankAt(left)
            if r != none { push(r & 0xFFFF_FFFF_0000_0000 | UInt64(left)) }
        }
    }
}
