import Foundation
import Testing
import RLHFCore
@testable import RLHFData
import RLHFTestSupport

/// The gold rule on hand-written texts: the same examples, with the same scores, as datasets/README.md.
@Suite struct DemoGoldScoreTests {
    static let readmeExamples: [(String, Int)] = [
        (" The blue kettle is great.", 1),
        (" The blue kettle is great great.", 0),                    // +2 positive, -2 for the repeat
        (" The blue kettle is great", -1),                          // not ended
        (" The blue kettle leaks. I hate it!", -2),
        (" It is good and it is bad.", 0),                          // "it", "is" are function words
        (" The blue kettle is lovely and sturdy. It works well.", 3),
        (" The blue kettle is lovely. The blue kettle is lovely.", -4), // +2, and blue, kettle, lovely repeated
        (" Not good.", 1),                                          // no negation
        (" GREAT, lovely...  \n", 2),                               // case and trailing whitespace do not matter
        (" Is it nice?", 1),
        (" well-made, works WELL!", 0),                              // well twice: +2 - 2
        (" très bien.", 0),                                          // non-ASCII letters separate words: tr, s, bien
        ("", -2),
    ]

    @Test func readmeExamplesScoreAsStated() {
        for (text, expected) in Self.readmeExamples {
            #expect(GoldScore.score(text) == expected, "\(text.debugDescription)")
        }
    }

    /// The table in datasets/README.md is this list, row for row (texts written as JSON strings there).
    @Test func readmeTableIsTheTestedList() throws {
        let readme = try String(contentsOf: TestPaths.repo("datasets/README.md"), encoding: .utf8)
        var rows: [(String, Int)] = []
        for line in readme.split(separator: "\n") where line.hasPrefix("| `\"") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let literal = String(cells[0].dropFirst().dropLast())   // strip the backquotes
            let text = try #require(try JSONParser.parse(literal).stringValue, "\(line)")
            rows.append((text, try #require(Int(cells[1]), "\(line)")))
        }
        #expect(rows.map(\.0) == Self.readmeExamples.map(\.0))
        #expect(rows.map(\.1) == Self.readmeExamples.map(\.1))
    }

    @Test func breakdownNamesEachTerm() {
        let b = GoldScore.breakdown(" The red mug is very very nice and nice and cheap")
        #expect(b == GoldScore.Breakdown(words: 11, positive: 2, negative: 1, repeated: 2, ended: false))
        #expect(b.score == 2 - 1 - 4 - 2)
        #expect(GoldScore.words(" It's a DEAL, 100%!") == ["it", "s", "a", "deal"])
    }

    @Test func wordListsAreDisjointAndLowercase() {
        let lists = [GoldScore.positiveWords, GoldScore.negativeWords, GoldScore.stopWords]
        for (i, a) in lists.enumerated() {
            #expect(a.allSatisfy { $0 == $0.lowercased() && GoldScore.words($0) == [$0] })
            for b in lists[(i + 1)...] { #expect(a.isDisjoint(with: b)) }
        }
    }
}
