import RLHFTokenizer

/// One (prompt, completion) as tokens: the only way SFT, the reward model and PPO turn text into ids.
public struct SerializedExample: Equatable, Sendable {
    /// Prompt ids, then completion ids, then end-of-text.
    public let tokens: [Int]
    /// Index of the first completion token (the number of prompt tokens kept).
    public let completionStart: Int
    /// Index of the end-of-text token: where the reward model and the value head read.
    public var endIndex: Int { tokens.count - 1 }
    /// Prompt tokens cut from the left to fit.
    public let promptTokensDropped: Int
    /// Scoring only: the completion itself did not fit, so the sequence is its last tokens.
    public let truncated: Bool

    /// The positions whose next-token prediction counts in the SFT loss: targets from the first
    /// completion token through end-of-text, i.e. positions completionStart-1 ..< endIndex.
    public var targetPositions: Range<Int> { max(0, completionStart - 1)..<endIndex }
}

/// The one serialiser (`../shared/research/rlhf-anchors.md`, rows 1 and 10: the most reported RLHF bug
/// is a reward read at the wrong token because training and scoring serialised differently). The
/// stored prompt as it is (conversations were templated once, at import), encoded on its own; the
/// completion encoded on its own; their ids concatenated, which is exactly what PPO holds when it
/// samples after a prompt; end-of-text appended by id. Both through the tokenizer's ordinary encoding,
/// so a completion that contains the text `<|endoftext|>` cannot end itself early.
public struct Serializer {
    public enum Purpose: Sendable { case training, scoring }

    public let tokenizer: BPETokenizer
    public let endOfText: Int

    public init(tokenizer: BPETokenizer) throws {
        guard let eos = tokenizer.vocabulary.endOfTextID else { throw SerializerError.noEndOfText }
        self.tokenizer = tokenizer
        endOfText = eos
    }

    /// Nil in training when the completion and its end-of-text alone exceed `maxLength` (the trainer
    /// leaves the example out and counts it). Over the length, the prompt is cut from the left; in
    /// scoring, a completion that cannot fit keeps its last `maxLength` tokens and is marked truncated.
    public func serialize(prompt: String, completion: String, maxLength: Int, purpose: Purpose) -> SerializedExample? {
        precondition(maxLength >= 2)
        let promptIDs = tokenizer.encodeOrdinary(prompt)
        let completionIDs = tokenizer.encodeOrdinary(completion) + [endOfText]
        return Self.combine(promptIDs, completionIDs, maxLength: maxLength, purpose: purpose)
    }

    /// The same rule on ids (what PPO has after sampling: prompt ids and sampled ids with end-of-text).
    public static func combine(_ promptIDs: [Int], _ completionWithEnd: [Int], maxLength: Int, purpose: Purpose) -> SerializedExample? {
        if completionWithEnd.count > maxLength {
            guard purpose == .scoring else { return nil }
            let kept = Array(completionWithEnd.suffix(maxLength))
            return SerializedExample(tokens: kept, completionStart: 0, promptTokensDropped: promptIDs.count, truncated: true)
        }
        let room = maxLength - completionWithEnd.count
        let keptPrompt = promptIDs.suffix(room)
        return SerializedExample(tokens: Array(keptPrompt) + completionWithEnd, completionStart: keptPrompt.count,
                                 promptTokensDropped: promptIDs.count - keptPrompt.count, truncated: false)
    }
}

public enum SerializerError: Error, CustomStringConvertible {
    case noEndOfText
    public var description: String {
        switch self {
        case .noEndOfText: return "the tokenizer has no <|endoftext|> token, which every serialised example ends with"
        }
    }
}
