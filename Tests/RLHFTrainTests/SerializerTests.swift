import Foundation
import Testing
import RLHFTokenizer
@testable import RLHFTrain
import RLHFTestSupport

/// The one serialiser, checked on token ids with GPT-2's own tokenizer.
@Suite struct SerializerTests {
    let tokenizer: BPETokenizer
    let serializer: Serializer

    init() throws {
        tokenizer = try BPETokenizer(directory: TestPaths.shared("reference/gpt2-tokenizer").path)
        serializer = try Serializer(tokenizer: tokenizer)
    }
    let eos = 50256

    @Test func promptAndCompletionAreEncodedApartThenJoined() throws {
        // "Hello " + "world": the prompt's trailing space stays its own token (220); the joined text would
        // encode as [15496, 995]. PPO samples after the prompt's ids, so training must see exactly these.
        let e = try #require(serializer.serialize(prompt: "Hello ", completion: "world", maxLength: 64, purpose: .training))
        #expect(e.tokens == [15496, 220, 6894, eos])
        #expect(e.completionStart == 2 && e.endIndex == 3)
        #expect(tokenizer.encodeOrdinary("Hello world") == [15496, 995])
        // A completion starting with a space keeps it in its first token.
        let spaced = try #require(serializer.serialize(prompt: "Hello", completion: " world", maxLength: 64, purpose: .training))
        #expect(spaced.tokens == [15496, 995, eos])
        #expect(spaced.targetPositions == 0..<2)   // predicts " world" (after "Hello") and end-of-text
    }

    @Test func endOfTextTextInsideACompletionStaysText() throws {
        let e = try #require(serializer.serialize(prompt: "Q:", completion: " a <|endoftext|> b", maxLength: 64, purpose: .training))
        #expect(e.tokens.filter { $0 == eos }.count == 1)
        #expect(e.tokens.last == eos)
        #expect(Array(e.tokens[e.completionStart..<e.endIndex]) == tokenizer.encodeOrdinary(" a <|endoftext|> b"))
        #expect(tokenizer.encodeAllowingSpecialTokens(" a <|endoftext|> b").contains(eos))
    }

    @Test func aLongPromptIsCutFromTheLeft() throws {
        let prompt = (0..<50).map { "word\($0)" }.joined(separator: " ")
        let promptIDs = tokenizer.encodeOrdinary(prompt)
        let completionIDs = tokenizer.encodeOrdinary(" the end")
        let e = try #require(serializer.serialize(prompt: prompt, completion: " the end", maxLength: 20, purpose: .training))
        #expect(e.tokens.count == 20)
        #expect(e.tokens == Array(promptIDs.suffix(20 - completionIDs.count - 1)) + completionIDs + [eos])
        #expect(e.promptTokensDropped == promptIDs.count - (20 - completionIDs.count - 1))
        #expect(!e.truncated)
    }

    @Test func aCompletionThatCannotFitIsLeftOutInTrainingAndCutInScoring() throws {
        let completion = String(repeating: " lovely", count: 30)
        #expect(serializer.serialize(prompt: "Review:", completion: completion, maxLength: 16, purpose: .training) == nil)
        let scored = try #require(serializer.serialize(prompt: "Review:", completion: completion, maxLength: 16, purpose: .scoring))
        #expect(scored.truncated && scored.tokens.count == 16 && scored.tokens.last == eos)
        #expect(scored.tokens == Array((tokenizer.encodeOrdinary(completion) + [eos]).suffix(16)))
        // Exactly fitting: kept whole, the prompt dropped entirely.
        let fits = tokenizer.encodeOrdinary(completion).count + 1
        let exact = try #require(serializer.serialize(prompt: "Review:", completion: completion, maxLength: fits, purpose: .training))
        #expect(exact.completionStart == 0 && exact.tokens.count == fits && !exact.truncated)
    }
}
