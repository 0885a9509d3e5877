/// The train / validation / test split of a prompt (and so of its completions and labels).
public enum Split: String, CaseIterable, Sendable, Codable {
    case train, validation, test
}

/// Who won a pair, by completion id (first < second), never by screen side.
public enum Winner: String, CaseIterable, Sendable, Codable {
    case first, second, tie
}

public enum TieKind: String, CaseIterable, Sendable, Codable {
    case plain
    case bothGood = "both-good"
    case bothBad = "both-bad"
}

/// Strength of a preference: 1 slight, 2 clear, 3 strong (the 8-point A/B scale of HH-RLHF folds
/// into these three per side).
public enum Strength: Int, CaseIterable, Sendable, Codable {
    case slight = 1, clear = 2, strong = 3
}

/// Where a completion came from.
public enum Origin: String, CaseIterable, Sendable, Codable {
    case sft, generated, imported
}

/// One prompt to store.
public struct PromptRecord: Sendable, Equatable {
    public var prompt: String
    public var metadata: JSONObjectText?
    public init(prompt: String, metadata: JSONObjectText? = nil) {
        self.prompt = prompt
        self.metadata = metadata
    }
}

/// A JSON object already validated and serialised (for metadata columns).
public struct JSONObjectText: Sendable, Equatable {
    public let text: String
    public init(validated text: String) { self.text = text }
}

/// One supervised pair.
public struct SFTRecord: Sendable, Equatable {
    public var prompt: String
    public var completion: String
    public init(prompt: String, completion: String) {
        self.prompt = prompt
        self.completion = completion
    }
}

/// One pairwise judgement in interchange form: the chosen and the rejected reply (for a tie, the two
/// replies in a fixed order) with what our `meta` restores.
public struct PreferenceRecord: Sendable, Equatable {
    public var prompt: String
    public var chosen: String
    public var rejected: String
    /// TRL's optional `margin` field, when the file had one.
    public var margin: Double?
    public var meta: PreferenceMeta?

    public init(prompt: String, chosen: String, rejected: String, margin: Double? = nil, meta: PreferenceMeta? = nil) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.margin = margin
        self.meta = meta
    }
}

/// Our `meta` object on exported preference records: ignored by TRL and OpenRLHF, restored by
/// `rlhf import`, so export -> import -> export gives the same bytes. Every field is optional on import.
public struct PreferenceMeta: Sendable, Equatable {
    /// The judgement's identity across stores: "<store id>:<label id>" for labels made in a store,
    /// kept verbatim through imports.
    public var id: String?
    /// SHA-256 (hex) of the UTF-8 texts: checked on import, so an edited text is not silently
    /// attached to the old judgement.
    public var promptSHA256: String?
    public var chosenSHA256: String?
    public var rejectedSHA256: String?
    /// true when the record is a tie (then chosen/rejected are just the two replies).
    public var isTie: Bool
    public var tieKind: TieKind?
    public var strength: Strength?
    public var annotator: String?
    public var source: String?
    /// Which reply the annotator saw first: true = chosen, false = rejected, nil = unknown.
    public var chosenShownFirst: Bool?
    /// For the HH format only: the prompt's length in UTF-8 bytes, so prompts that do not end in
    /// "\n\nAssistant:" still split back exactly.
    public var promptBytes: Int?
    /// For `--aggregate majority` records: how many current labels the pair had, and the majority's share.
    public var votes: Int?
    public var agreement: Double?

    public init(id: String? = nil, promptSHA256: String? = nil, chosenSHA256: String? = nil,
                rejectedSHA256: String? = nil, isTie: Bool = false, tieKind: TieKind? = nil,
                strength: Strength? = nil, annotator: String? = nil, source: String? = nil,
                chosenShownFirst: Bool? = nil, promptBytes: Int? = nil) {
        self.id = id
        self.promptSHA256 = promptSHA256
        self.chosenSHA256 = chosenSHA256
        self.rejectedSHA256 = rejectedSHA256
        self.isTie = isTie
        self.tieKind = tieKind
        self.strength = strength
        self.annotator = annotator
        self.source = source
        self.chosenShownFirst = chosenShownFirst
        self.promptBytes = promptBytes
    }
}
