/// The length-only baseline: "the longer completion wins". A reward model that only learned length
/// would score exactly this, so a dataset whose right answers it predicts cannot tell length from
/// quality (Singhal et al. 2023, "A Long Way to Go"). Counted over pairs with a winner whose two texts
/// differ in length; "the shorter wins" is one minus it.
public struct LengthOnlyRule: Sendable, Equatable {
    public enum Unit: String, Sendable { case characters, words }
    public let unit: Unit
    public private(set) var pairs = 0
    public private(set) var longerWon = 0

    public init(unit: Unit) { self.unit = unit }

    public mutating func add(winner: String, loser: String) {
        let w = length(winner), l = length(loser)
        guard w != l else { return }
        pairs += 1
        if w > l { longerWon += 1 }
    }

    /// Accuracy of "the longer wins"; nil without pairs of different length.
    public var longerWinsAccuracy: Double? { pairs == 0 ? nil : Double(longerWon) / Double(pairs) }
    /// The better of "longer wins" and "shorter wins": what a length-only model could reach.
    public var bestAccuracy: Double? { longerWinsAccuracy.map { max($0, 1 - $0) } }

    func length(_ text: String) -> Int { unit == .characters ? text.count : GoldScore.words(text).count }
}

/// What the README reports about the demo dataset: row counts, the gold score's spread, ties, and the
/// length-only rule over every pair of completions of one prompt (the pairs the labeling queue offers).
public struct DemoStatistics: Sendable {
    public var prompts: [Split: Int] = [:]
    public var completions: [Split: Int] = [:]
    public var pairs = 0
    /// Pairs whose two completions have the same gold score.
    public var goldTies = 0
    public var scoreHistogram: [Int: Int] = [:]
    public var lengthInCharacters = LengthOnlyRule(unit: .characters)
    public var lengthInWords = LengthOnlyRule(unit: .words)
    public var meanWordsPerCompletion = 0.0
    public var distinctWords = 0

    public init(_ dataset: DemoDataset) {
        var words = 0
        var vocabulary = Set<String>()
        for prompt in dataset.prompts {
            prompts[prompt.split, default: 0] += 1
            completions[prompt.split, default: 0] += prompt.completions.count
            vocabulary.formUnion(GoldScore.words(prompt.text))
            let scores = prompt.completions.map(GoldScore.score)
            for (text, score) in zip(prompt.completions, scores) {
                scoreHistogram[score, default: 0] += 1
                let w = GoldScore.words(text)
                words += w.count
                vocabulary.formUnion(w)
            }
            for i in prompt.completions.indices {
                for j in prompt.completions.indices where j > i {
                    pairs += 1
                    if scores[i] == scores[j] { goldTies += 1; continue }
                    let (winner, loser) = scores[i] > scores[j] ? (i, j) : (j, i)
                    lengthInCharacters.add(winner: prompt.completions[winner], loser: prompt.completions[loser])
                    lengthInWords.add(winner: prompt.completions[winner], loser: prompt.completions[loser])
                }
            }
        }
        let total = completions.values.reduce(0, +)
        meanWordsPerCompletion = total == 0 ? 0 : Double(words) / Double(total)
        distinctWords = vocabulary.count
    }
}
