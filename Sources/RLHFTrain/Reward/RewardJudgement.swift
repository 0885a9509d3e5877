/// One judgement a reward model trains on or is measured by: two completions of one prompt and which
/// one people preferred (or a tie). Plain values: the command reads them from the store's
/// `current_labels` (rankings already expanded into all their pairs) and the trainer never sees the store.
public struct RewardJudgement: Sendable, Equatable {
    /// The judgement's identity in the run's saved example list: "label:ID" for a pairwise label,
    /// "ranking:ID:FIRST:SECOND" for one pair of a ranking. Two labels on the same pair are two
    /// judgements, and each counts once in the loss.
    public var key: String
    public var promptID: Int64
    public var prompt: String
    /// Completion ids: a completion that appears in several judgements is serialised and run once.
    public var firstID: Int64
    public var first: String
    public var secondID: Int64
    public var second: String
    public var outcome: PreferenceLoss.Outcome
    /// Llama 2's margin for the label's strength (`MarginTable`), 0 when unknown; used with `--margin`.
    public var margin: Double

    public init(key: String, promptID: Int64, prompt: String, firstID: Int64, first: String, secondID: Int64,
                second: String, outcome: PreferenceLoss.Outcome, margin: Double = 0) {
        self.key = key
        self.promptID = promptID
        self.prompt = prompt
        self.firstID = firstID
        self.first = first
        self.secondID = secondID
        self.second = second
        self.outcome = outcome
        self.margin = margin
    }
}
