import RLHFCore

/// One SFT completion of the demo dataset: one or two sentences about the product whose sentiment,
/// length, repetition and ending vary independently, so that each term of the gold score varies and
/// length alone does not predict it (longer texts are as likely to hold more negative words as more
/// positive ones; a repeated word makes a text longer and worse, a cut-off ending shorter and worse).
enum DemoCompletion {
    /// Chances of each variation; the split of leanings keeps gold scores spread around zero.
    static let positiveLean = 0.45, negativeLean = 0.35       // the rest is mixed
    static let twoSentences = 0.55, joinedWithAnd = 0.3, exclamation = 0.15
    static let repetition = 0.2, repeatWholeSentence = 0.4
    static let cutOff = 0.2, cutMidSentence = 0.5

    static func sample(product: String, random: inout SeededRandom) -> String {
        let lean = random.nextDouble()
        let positiveChance = lean < positiveLean ? 0.9 : (lean < positiveLean + negativeLean ? 0.1 : 0.5)
        // A clean text first: sentiment words drawn afresh until no word repeats by accident, so that
        // repetition comes only from the deliberate variation below (the draw is seeded, so this loop
        // is deterministic; 64 tries is far more than the few it takes).
        var text = ""
        for _ in 0..<64 {
            text = clean(product: product, positiveChance: positiveChance, random: &random)
            if GoldScore.breakdown(text).repeated == 0 { break }
        }
        if random.nextDouble() < repetition { text = repeated(text, random: &random) }
        if random.nextDouble() < cutOff { text = cut(text, random: &random) }
        return " " + text
    }

    static func clean(product: String, positiveChance: Double, random: inout SeededRandom) -> String {
        func positive() -> Bool { random.nextDouble() < positiveChance }
        func pick(_ words: [String]) -> String { words[random.nextInt(below: words.count)] }
        func adjective() -> String {
            let first = pick(positive() ? DemoVocabulary.positiveAdjectives : DemoVocabulary.negativeAdjectives)
            let x = random.nextDouble()
            if x < 0.25 { return pick(DemoVocabulary.intensifiers) + " " + first }
            if x < 0.4 { return first + " and " + pick(positive() ? DemoVocabulary.positiveAdjectives : DemoVocabulary.negativeAdjectives) }
            return first
        }
        func action() -> String { pick(positive() ? DemoVocabulary.positiveActions : DemoVocabulary.negativeActions) }

        var sentences: [String] = []
        let k = random.nextDouble()
        if k < 0.6 {
            sentences.append("The \(product) is \(adjective())")
        } else if k < 0.8 {
            sentences.append("The \(product) \(action())")
        } else {
            sentences.append("This \(product) looks \(adjective())")
        }
        if random.nextDouble() < twoSentences {
            let k = random.nextDouble()
            var second: String
            if k < 0.3 {
                second = "It is \(adjective())"
            } else if k < 0.45 {
                second = "It \(pick(["feels", "looks"])) \(adjective())"
            } else if k < 0.6 {
                second = "It \(action())"
            } else if k < 0.85 {
                second = pick(positive() ? DemoVocabulary.positiveFeelings : DemoVocabulary.negativeFeelings)
            } else {
                second = pick(DemoVocabulary.neutralSentences)
            }
            if random.nextDouble() < joinedWithAnd {
                if !second.hasPrefix("I "), let first = second.first { second = first.lowercased() + second.dropFirst() }
                sentences[0] += " and " + second
            } else {
                sentences.append(second)
            }
        }
        return sentences.joined(separator: ". ") + (random.nextDouble() < exclamation ? "!" : ".")
    }

    /// The whole sentence said twice (short one-sentence texts only, so the result is two sentences of
    /// a usual length), or one word that counts for repetition said twice in a row ("is great great").
    static func repeated(_ text: String, random: inout SeededRandom) -> String {
        let short = !text.dropLast().contains(".") && text.split(separator: " ").count <= 6
        if short, random.nextDouble() < repeatWholeSentence { return text + " " + text }
        var words = text.split(separator: " ").map(String.init)
        let candidates = words.indices.filter { i in
            i >= 2 && words[i].utf8.allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
                && !GoldScore.stopWords.contains(words[i].lowercased())
        }
        guard !candidates.isEmpty else { return text + " " + text }   // unreachable: every text names its product
        let i = candidates[random.nextInt(below: candidates.count)]
        words.insert(words[i], at: i)
        return words.joined(separator: " ")
    }

    /// The final mark dropped, or the text cut off mid-sentence (at least four words kept).
    static func cut(_ text: String, random: inout SeededRandom) -> String {
        let words = text.split(separator: " ")
        if words.count < 5 || random.nextDouble() >= cutMidSentence { return String(text.dropLast()) }
        let keep = 4 + random.nextInt(below: words.count - 4)
        var result = words.prefix(keep).joined(separator: " ")
        while let last = result.last, last == "." || last == "!" { result.removeLast() }
        return result
    }
}
