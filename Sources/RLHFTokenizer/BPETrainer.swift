/// Learns a byte-level BPE vocabulary from texts, the way GPT-2's was made and Hugging Face's BpeTrainer
/// makes one: pre-tokenize with GPT-2's pattern (ordinary: `<|endoftext|>` in a text is just text), count
/// the distinct pieces ("words"), start from the 256 byte tokens, and repeatedly merge the most frequent
/// adjacent pair of tokens into a new token until the vocabulary has `vocabSize` tokens.
///
/// Algorithm and cost. Let S be the total length (in symbols) of the distinct words, P the number of
/// distinct pairs, M the number of merges. Pairs are counted once, O(S). Each pair keeps the list of
/// words it occurs in, and a max-heap orders pairs by count. A merge visits only the words that contain
/// its pair, rewrites them in place, and applies the count changes of the neighbouring pairs
/// (pair (p,a) loses, (p,ab) gains, ...), pushing every pair that gained onto the heap; pairs that lost
/// are corrected lazily when they reach the top. Total O(S + sum over merges of the length of the words
/// touched + H log H) for H heap pushes, instead of the O(M * S) of recounting every pair per merge.
/// Deterministic: ties go to the smaller pair of ids, and nothing depends on hash order.
public enum BPETrainer {
    /// Trains on `texts` and returns the vocabulary: ids 0...255 the bytes in GPT-2's order (so byte
    /// tokens have GPT-2's ids), then one token per merge, then `specialTokens`. `vocabSize` counts all
    /// of them, as Hugging Face does; the result is smaller when fewer than that many pairs occur at least
    /// `minFrequency` times.
    public static func train<Texts: Sequence<String>>(
        texts: Texts, vocabSize: Int, specialTokens: [String] = [TokenizerFiles.endOfText],
        minFrequency: Int = 2
    ) throws(TokenizerError) -> BPEVocabulary {
        guard vocabSize >= 256 + specialTokens.count else {
            throw .invalidTrainingSettings("the vocabulary size must be at least 256 (the byte tokens) + "
                + "\(specialTokens.count) (the special tokens) = \(256 + specialTokens.count), got \(vocabSize)")
        }
        guard Set(specialTokens).count == specialTokens.count, !specialTokens.contains("") else {
            throw .invalidTrainingSettings("special tokens must be distinct and non-empty, got \(specialTokens)")
        }
        var state = TrainingState(words: WordCounts(texts))
        let tokens = state.learn(tokenLimit: vocabSize - specialTokens.count, minFrequency: max(1, minFrequency))
        var all = tokens
        var added: [AddedToken] = []
        for special in specialTokens {
            added.append(AddedToken(id: all.count, content: special))
            all.append(Array(special.utf8))
        }
        return try BPEVocabulary(tokens: all, merges: state.merges.map { (Int($0.0), Int($0.1)) }, addedTokens: added)
    }
}

/// The distinct pieces of the texts and how often each occurs.
struct WordCounts {
    let table = ByteStringTable(minimumCapacity: 1 << 16)
    var counts: [Int] = []

    init<Texts: Sequence<String>>(_ texts: Texts) {
        let scanner = PreTokenizer()
        for text in texts {
            var copy = text
            copy.withUTF8 { utf8 in
                guard let base = utf8.baseAddress else { return }
                scanner.forEachPiece(in: UnsafeRawBufferPointer(utf8)) { start, end in
                    let (entry, inserted) = table.insert(base + start, end - start, value: 0)
                    if inserted { counts.append(0) }
                    counts[entry] += 1
                }
            }
        }
    }
}

/// The words as symbol sequences, the pair counts and where each pair occurs.
struct TrainingState {
    private let wordCount: [Int]
    /// Word w is symbols[wordStart[w] ..< wordStart[w] + wordLength[w]], shrinking in place as it merges.
    private var symbols: [UInt32] = []
    private var wordStart: [Int] = []
    private var wordLength: [Int] = []

    /// Pair (left, right) -> index into the arrays below.
    private let pairIndex = PairTable(minimumCapacity: 1 << 16)
    private var pairKey: [UInt64] = []
    private var pairCount: [Int] = []
    /// Words the pair has occurred in (each may be listed again, or no longer hold the pair).
    private var pairWords: [[Int32]] = []

    private(set) var merges: [(UInt32, UInt32)] = []

    init(words: WordCounts) {
        wordCount = words.counts
        let n = words.counts.count
        wordStart.reserveCapacity(n)
        wordLength.reserveCapacity(n)
        var byteID = [UInt32](repeating: 0, count: 256)
        for (id, b) in ByteLevel.byteOrder.enumerated() { byteID[Int(b)] = UInt32(id) }
        for w in 0..<n {
            let key = words.table.key(w)
            wordStart.append(symbols.count)
            wordLength.append(key.count)
            for b in key { symbols.append(byteID[Int(b)]) }
        }
    }

    /// The index of a pair, created with count 0 if new.
    private mutating func index(_ key: UInt64) -> Int {
        let found = pairIndex.get(key, missing: PairTable.emptyKey)
        if found != PairTable.emptyKey { return Int(found) }
        let i = pairKey.count
        pairIndex.set(key, UInt64(i))
        pairKey.append(key)
        pairCount.append(0)
        pairWords.append([])
        return i
    }

    /// Merges until `tokenLimit` tokens or no pair occurs `minFrequency` times; returns the token bytes.
    mutating func learn(tokenLimit: Int, minFrequency: Int) -> [[UInt8]] {
        var tokens: [[UInt8]] = ByteLevel.byteOrder.map { [$0] }
        let known = ByteStringTable(minimumCapacity: tokenLimit)
        for (id, token) in tokens.enumerated() { known.insert(token, value: UInt32(id)) }

        for w in 0..<wordCount.count where wordLength[w] > 1 {
            let start = wordStart[w]
            for k in start..<(start + wordLength[w] - 1) {
                let i = index(PairTable.key(symbols[k], symbols[k + 1]))
                pairCount[i] += wordCount[w]
                if pairWords[i].last != Int32(w) { pairWords[i].append(Int32(w)) }
            }
        }
        var queue = PairQueue()
        for i in 0..<pairKey.count where pairCount[i] > 0 { queue.push(count: pairCount[i], key: pairKey[i]) }

        var visited = [Int32](repeating: -1, count: wordCount.count)  // merge number that last rewrote w
        var gainedStamp = [Int32](repeating: -1, count: pairKey.count)
        var gained: [Int] = []
        while tokens.count < tokenLimit, let top = queue.pop() {
            let i = index(top.key)
            let live = pairCount[i]
            if top.count != live {
                if live > 0 { queue.push(count: live, key: top.key) }
                continue
            }
            if live < minFrequency { break }
            let left = UInt32(truncatingIfNeeded: top.key >> 32)
            let right = UInt32(truncatingIfNeeded: top.key)
            let joined = tokens[Int(left)] + tokens[Int(right)]
            // A merge can rebuild a string another merge already made; it then reuses that id (as
            // Hugging Face does) and the vocabulary does not grow.
            let (entry, inserted) = known.insert(joined, value: UInt32(tokens.count))
            if inserted { tokens.append(joined) }
            let merged = known.value(entry)
            let mergeNumber = Int32(merges.count)
            merges.append((left, right))

            gained.removeAll(keepingCapacity: true)
            let words = pairWords[i]
            pairWords[i] = []
            for w32 in words where visited[Int(w32)] != mergeNumber {
                visited[Int(w32)] = mergeNumber
                rewrite(Int(w32), left, right, merged) { pair in
                    if pair >= gainedStamp.count { gainedStamp.append(contentsOf: repeatElement(-1, count: pair + 1 - gainedStamp.count)) }
                    if gainedStamp[pair] != mergeNumber {
                        gainedStamp[pair] = mergeNumber
                        gained.append(pair)
                    }
                }
            }
            for pair in gained where pairCount[pair] > 0 {
                queue.push(count: pairCount[pair], key: pairKey[pair])
            }
        }
        return tokens
    }

    /// Replaces each (left, right) in word w by `merged`, updating the counts of the pairs around it.
    /// Reads ahead of where it writes, so `symbols[write - 1]` is always the merged word's previous symbol.
    private mutating func rewrite(_ w: Int, _ left: UInt32, _ right: UInt32, _ merged: UInt32,
                                  gained: (Int) -> Void) {
        let start = wordStart[w]
        let end = start + wordLength[w]
        let count = wordCount[w]
        var read = start
        var write = start
        while read < end {
            if read + 1 < end && symbols[read] == left && symbols[read + 1] == right {
                add(-count, PairTable.key(left, right), w)
                if write > start {
                    let before = symbols[write - 1]
                    add(-count, PairTable.key(before, left), w)
                    gained(add(count, PairTable.key(before, merged), w))
                }
                if read + 2 < end {
                    let after = symbols[read + 2]
                    add(-count, PairTable.key(right, after), w)
                    gained(add(count, PairTable.key(merged, after), w))
                }
                symbols[write] = merged
                read += 2
            } else {
                symbols[write] = symbols[read]
                read += 1
            }
            write += 1
        }
        wordLength[w] = write - start
    }

    /// Adds `delta` to a pair's count; a gain records the word under the pair. Returns the pair's index.
    @discardableResult
    private mutating func add(_ delta: Int, _ key: UInt64, _ w: Int) -> Int {
        let i = index(key)
        pairCount[i] += delta
        if delta > 0, pairWords[i].last != Int32(w) { pairWords[i].append(Int32(w)) }
        return i
    }
}
