/// GPT-2's pre-tokenization: the text is cut into pieces by the pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// and BPE merges never cross a piece boundary. This is a hand-written scanner of that pattern over
/// UTF-8 bytes and Unicode scalar properties: one pass, no backtracking, no allocation. Swift's `Regex`
/// gives the same pieces (`RegexPreTokenizer`, checked against this in the tests) but is far slower;
/// `rlhf bench tokenizer` prints both speeds.
///
/// How the alternatives resolve, read at a position `i` (first matching alternative wins, each greedy):
/// - `'` followed by one of the seven lowercase contractions: that contraction.
/// - a space (U+0020 only) followed by a letter, number or other character: the space joins the run of
///   that class after it.
/// - a letter, number or other character: the run of its class.
/// - whitespace: `\s+(?!\S)` takes the whole run at the end of the text, else the run minus its last
///   character, which then starts the next piece (a space joins the word after it; anything else
///   stands alone through `\s+`). A run of one character before a non-space is taken by `\s+`.
/// Note that `'` is an "other" character: inside a run of punctuation it does not start a contraction
/// (`!'s` is `!'` + `s`), exactly as the regex's greedy `[^\s\p{L}\p{N}]+` behaves.
struct PreTokenizer {
    let classifier: ScalarClassifier

    init(classifier: ScalarClassifier = ScalarClassifier()) {
        self.classifier = classifier
    }

    /// Calls `body(start, end)` with the byte range of each piece, in order. The pieces tile the input.
    /// Precondition: `text` is valid UTF-8 (callers validate raw bytes; Swift strings always are).
    @inline(__always)
    func forEachPiece(in text: UnsafeRawBufferPointer, _ body: (Int, Int) throws -> Void) rethrows {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = text.count
        let whitespace = ScalarClass.whitespace.rawValue
        let ascii = classifier.table
        var i = 0
        while i < n {
            let b = base[i]
            if b == 0x27, i + 1 < n {  // '
                let c1 = base[i + 1]
                // 's 't 'm 'd
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 {
                    try body(i, i + 2)
                    i += 2
                    continue
                }
                // 're 've 'll
                if i + 2 < n {
                    let c2 = base[i + 2]
                    if (c2 == 0x65 && (c1 == 0x72 || c1 == 0x76)) || (c1 == 0x6C && c2 == 0x6C) {
                        try body(i, i + 3)
                        i += 3
                        continue
                    }
                }
            }
            var (runClass, length) = classify(base, i)
            var j = i + length
            if b == 0x20, j < n {
                let (next, nextLength) = classify(base, j)
                if next != whitespace {
                    runClass = next
                    j += nextLength
                }
            }
            if runClass == whitespace {
                var last = i  // start of the run's last character
                while j < n {
                    let (cls, l) = classify(base, j)
                    if cls != whitespace { break }
                    last = j
                    j += l
                }
                if j == n || last == i {
                    try body(i, j)
                    i = j
                } else {
                    try body(i, last)
                    i = last
                }
                continue
            }
            // The run of one class; ASCII (most text) straight from the table without decoding.
            while j < n {
                let c = base[j]
                if c < 0x80 {
                    if ascii[Int(c)] != runClass { break }
                    j += 1
                    continue
                }
                let (cls, l) = classify(base, j)
                if cls != runClass { break }
                j += l
            }
            try body(i, j)
            i = j
        }
    }

    /// The class and UTF-8 length of the scalar starting at byte `i`.
    @inline(__always)
    func classify(_ base: UnsafePointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let b0 = base[i]
        if b0 < 0x80 { return (classifier.classify(UInt32(b0)), 1) }
        if b0 < 0xE0 {
            let v = UInt32(b0 & 0x1F) << 6 | UInt32(base[i + 1] & 0x3F)
            return (classifier.classify(v), 2)
        }
        if b0 < 0xF0 {
            let v = UInt32(b0 & 0x0F) << 12 | UInt32(base[i + 1] & 0x3F) << 6 | UInt32(base[i + 2] & 0x3F)
            return (classifier.classify(v), 3)
        }
        let v = UInt32(b0 & 0x07) << 18 | UInt32(base[i + 1] & 0x3F) << 12 | UInt32(base[i + 2] & 0x3F) << 6
            | UInt32(base[i + 3] & 0x3F)
        return (classifier.classify(v), 4)
    }

    /// The pieces of a string, as byte ranges (for tests and tools; the encoder uses `forEachPiece`).
    func pieces(_ text: String) -> [Range<Int>] {
        var copy = text
        var out: [Range<Int>] = []
        copy.withUTF8 { utf8 in forEachPiece(in: UnsafeRawBufferPointer(utf8)) { out.append($0..<$1) } }
        return out
    }
}
