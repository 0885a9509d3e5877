/// GPT-2's pre-tokenization pattern run by Swift's `Regex`, over Unicode scalars (not characters: the
/// pattern predates grapheme clusters, and a combining mark must be able to start a new piece).
///
/// Not used for encoding: it is the slow, obviously-right statement of the pattern that the tests check
/// the hand-written `PreTokenizer` against, and that `rlhf bench tokenizer` times for comparison.
public struct RegexPreTokenizer {
    public static let pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    private let regex: Regex<AnyRegexOutput>

    public init() {
        do {
            regex = try Regex(RegexPreTokenizer.pattern).matchingSemantics(.unicodeScalar)
        } catch {
            // The pattern is a constant; failing to compile it is a toolchain defect, not an input error.
            fatalError("GPT-2 pre-tokenization pattern does not compile: \(error)")
        }
    }

    /// The pieces as UTF-8 byte ranges.
    public func pieces(_ text: String) -> [Range<Int>] {
        text.matches(of: regex).map { match in
            let start = text.utf8.distance(from: text.startIndex, to: match.range.lowerBound)
            let end = text.utf8.distance(from: text.startIndex, to: match.range.upperBound)
            return start..<end
        }
    }
}

/// The hand-written scanner's pieces, public so the benchmark can time the two side by side.
public enum PreTokenization {
    /// The byte ranges GPT-2's pattern cuts `text` into, by the hand-written scanner.
    public static func pieces(_ text: String) -> [Range<Int>] {
        PreTokenizer().pieces(text)
    }

    /// Counts the pieces of every text with one scanner (the benchmark's timed loop).
    public static func countPieces(_ texts: [String]) -> Int {
        let scanner = PreTokenizer()
        var count = 0
        for text in texts {
            var copy = text
            copy.withUTF8 { utf8 in scanner.forEachPiece(in: UnsafeRawBufferPointer(utf8)) { _, _ in count += 1 } }
        }
        return count
    }
}
