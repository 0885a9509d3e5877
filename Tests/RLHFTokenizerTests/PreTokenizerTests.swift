import RLHFCore
import Testing
@testable import RLHFTokenizer

/// The hand-written scanner against Swift's `Regex` running GPT-2's pattern: two independent readings
/// of the same pattern must cut every text into the same pieces.
@Suite struct PreTokenizerTests {
    let regex = RegexPreTokenizer()

    func pieces(_ text: String) -> [String] {
        let utf8 = Array(text.utf8)
        return PreTokenization.pieces(text).map { String(decoding: utf8[$0], as: UTF8.self) }
    }

    func expectSameAsRegex(_ text: String, _ label: String) {
        let scanned = PreTokenization.pieces(text)
        let matched = regex.pieces(text)
        #expect(scanned == matched, "\(label): \(String(reflecting: text).prefix(200))")
    }

    @Test func handWorkedExamples() {
        #expect(pieces("Hello, world!") == ["Hello", ",", " world", "!"])
        #expect(pieces("I'm DON'T they'll") == ["I", "'m", " DON", "'", "T", " they", "'ll"])
        // A space before a non-letter joins the punctuation run; ' inside punctuation is punctuation.
        #expect(pieces("a 's !'s") == ["a", " '", "s", " !'", "s"])
        // Whitespace runs: all but the last character when a word follows; the whole run at the end.
        #expect(pieces("a   b") == ["a", "  ", " b"])
        #expect(pieces("a\n\nb") == ["a", "\n", "\n", "b"])
        #expect(pieces("a \n b  ") == ["a", " \n", " b", "  "])
        #expect(pieces("x2024 ab12") == ["x", "2024", " ab", "12"])
        // Non-ASCII: NBSP and ideographic space are \s; a combining mark is neither letter nor number.
        #expect(pieces("a\u{00A0}b") == ["a", "\u{00A0}", "b"])
        #expect(pieces("e\u{301}t\u{3000}\u{3000}字") == ["e", "\u{301}", "t", "\u{3000}", "\u{3000}", "字"])
        #expect(pieces("") == [])
    }

    @Test func agreesWithSwiftRegexOnTheReferenceCases() {
        for c in TestData.cases { expectSameAsRegex(c.text, "case line \(c.line)") }
    }

    @Test func agreesWithSwiftRegexOnHHTexts() {
        // Every 16th text: Swift's Regex does about 2 MB/s.
        for (i, text) in TestData.hhTexts.enumerated() where i % 16 == 0 { expectSameAsRegex(text, "HH text \(i)") }
    }

    /// Random strings drawn from the characters where the pattern's branches meet.
    @Test func agreesWithSwiftRegexOnRandomStrings() {
        let alphabet: [Unicode.Scalar] = [
            " ", " ", "\n", "\t", "\r", "\u{A0}", "\u{3000}", "\u{2028}", "\u{85}", "'", "'", "s", "t", "r", "e",
            "v", "l", "d", "m", "S", "a", "Z", "1", "9", "\u{661}", "\u{2167}", "\u{BD}", "!", ".", "-", "_",
            "\u{301}", "\u{200D}", "é", "ß", "字", "한", "\u{5D0}", "\u{1F600}", "\u{1F3FB}", "\u{0}", "\u{1B}",
            "\u{FEFF}", "\u{E000}", "\u{10FFFD}", "\u{1D7D8}", "\u{2062}",
        ]
        var random = SeededRandom(seed: 7)
        for round in 0..<3000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<random.nextInt(below: 24) { text.append(alphabet[random.nextInt(below: alphabet.count)]) }
            expectSameAsRegex(String(text), "random string \(round)")
        }
    }
}
