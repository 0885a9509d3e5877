/// Judgements turned into token sequences once per distinct completion, grouped by prompt.
///
/// InstructGPT (Ouyang et al. 2022, section 3.5): the comparisons of one prompt are highly correlated,
/// so all of them go into the same batch and each completion's reward is computed once, not once per
/// pair. Here a group is one prompt's completions and the judgements among them; batching never splits
/// a group.
public struct RewardDataset: Sendable {
    /// Two sequences of the dataset (indices into `sequences`) and the judgement on them.
    public struct Comparison: Sendable, Equatable {
        public var first: Int
        public var second: Int
        public var outcome: PreferenceLoss.Outcome
        public var margin: Double
        /// Index into the judgements the dataset was built from.
        public var judgement: Int
    }

    public struct Group: Sendable {
        public var promptID: Int64
        /// Indices into `sequences`.
        public var sequences: [Int]
        public var comparisons: [Comparison]
    }

    /// One serialised (prompt, completion) per distinct completion; the reward is read at `endIndex`.
    public private(set) var sequences: [SerializedExample] = []
    /// The completion id of each sequence.
    public private(set) var completionIDs: [Int64] = []
    /// Characters of each completion (the length the length-only rule and the correlation use).
    public private(set) var completionLengths: [Int] = []
    public private(set) var groups: [Group] = []
    /// Judgements left out because one of their completions and its end-of-text do not fit in
    /// `maxLength` (the serialiser cuts prompts, never completions, in training).
    public private(set) var leftOut = 0
    /// Ties left out (Bradley-Terry has no tie outcome; `--ties davidson` keeps them).
    public private(set) var tiesLeftOut = 0

    public var comparisonCount: Int { groups.reduce(0) { $0 + $1.comparisons.count } }

    /// `includeTies`: keep tie judgements (Davidson training, and evaluation, which reports them apart).
    public init(judgements: [RewardJudgement], serializer: Serializer, maxLength: Int, includeTies: Bool) {
        var sequenceOf: [Int64: Int?] = [:]     // completion id -> sequence index, nil when it does not fit
        var groupOf: [Int64: Int] = [:]
        func sequence(_ id: Int64, _ prompt: String, _ completion: String) -> Int? {
            if let known = sequenceOf[id] { return known }
            guard let example = serializer.serialize(prompt: prompt, completion: completion, maxLength: maxLength,
                                                     purpose: .training) else {
                sequenceOf[id] = .some(nil)
                return nil
            }
            sequences.append(example)
            completionIDs.append(id)
            completionLengths.append(completion.count)
            sequenceOf[id] = sequences.count - 1
            return sequences.count - 1
        }
        for (index, j) in judgements.enumerated() {
            if j.outcome == .tie && !includeTies {
                tiesLeftOut += 1
                continue
            }
            let first = sequence(j.firstID, j.prompt, j.first), second = sequence(j.secondID, j.prompt, j.second)
            guard let first, let second else {
                leftOut += 1
                continue
            }
            let g: Int
            if let known = groupOf[j.promptID] { g = known } else {
                g = groups.count
                groupOf[j.promptID] = g
                groups.append(Group(promptID: j.promptID, sequences: [], comparisons: []))
            }
            for s in [first, second] where !groups[g].sequences.contains(s) { groups[g].sequences.append(s) }
            groups[g].comparisons.append(Comparison(first: first, second: second, outcome: j.outcome, margin: j.margin,
                                                    judgement: index))
        }
    }
}
