/// The gold preference rule of the demo dataset: the known truth that simulated annotators judge by
/// (with noise) and that reward models and policies are measured against, as Gao et al. (2022) measure
/// against a gold reward model. Deliberately lexical and exact, so anyone can score a text by hand:
///
///     score = (positive words) - (negative words) - 2 x (repeated words) - 2 x (not ended)
///
/// - words: maximal runs of ASCII letters, lowercased (anything else separates words);
/// - positive / negative words: the two lists below (no negation: "not good" counts as good);
/// - a repeated word: each occurrence of a word after its first, except the function words in `stopWords`;
/// - not ended: after removing trailing whitespace, the text is empty or its last character is not `.`, `!` or `?`.
///
/// Repetition costs more than a positive word gains, so "great great" (0) scores below "great" (1); a
/// long list of distinct positive words scores high, which is the gold rule's own weakness to exploit.
/// The prompt plays no part: the score is a function of the completion's text alone.
public enum GoldScore {
    public static let positiveWords: Set<String> = [
        "good", "great", "lovely", "nice", "sturdy", "perfect", "excellent", "solid", "handy", "comfortable",
        "reliable", "beautiful", "love", "like", "happy", "pleased", "recommend", "well",
    ]
    public static let negativeWords: Set<String> = [
        "bad", "poor", "awful", "cheap", "flimsy", "useless", "noisy", "terrible", "wobbly", "ugly",
        "weak", "broken", "hate", "dislike", "disappointed", "broke", "leaks", "stopped",
    ]
    /// Function words a natural review repeats ("It is ... and it is ..."): not counted as repetition.
    public static let stopWords: Set<String> = [
        "the", "a", "it", "is", "was", "and", "but", "i", "this", "to", "of", "in", "for", "my", "with", "one",
    ]
    public static let repeatPenalty = 2
    public static let notEndedPenalty = 2

    /// The parts of a score, for `rlhf gold-score --explain` and for tests that check each term.
    public struct Breakdown: Sendable, Equatable {
        public var words = 0
        public var positive = 0
        public var negative = 0
        public var repeated = 0
        public var ended = false
        public var score: Int {
            positive - negative - GoldScore.repeatPenalty * repeated - (ended ? 0 : GoldScore.notEndedPenalty)
        }
    }

    public static func score(_ text: String) -> Int { breakdown(text).score }

    public static func breakdown(_ text: String) -> Breakdown {
        var b = Breakdown()
        var seen = Set<String>()
        for word in words(text) {
            b.words += 1
            if positiveWords.contains(word) { b.positive += 1 }
            if negativeWords.contains(word) { b.negative += 1 }
            if !stopWords.contains(word), !seen.insert(word).inserted { b.repeated += 1 }
        }
        let last = text.utf8.last(where: { !isWhitespace($0) })
        b.ended = last == UInt8(ascii: ".") || last == UInt8(ascii: "!") || last == UInt8(ascii: "?")
        return b
    }

    /// Maximal runs of ASCII letters, lowercased. Works on UTF-8 bytes, so every other byte (digits,
    /// punctuation, any non-ASCII character) separates words, the same on every platform.
    public static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            default:
                if !current.isEmpty { result.append(String(decoding: current, as: UTF8.self)); current.removeAll(keepingCapacity: true) }
            }
        }
        if !current.isEmpty { result.append(String(decoding: current, as: UTF8.self)) }
        return result
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
