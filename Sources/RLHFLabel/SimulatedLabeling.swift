import RLHFCore
import RLHFData
import RLHFStore

/// What `rlhf simulate-labels` runs: simulated annotators settings plus the queue options `rlhf label` takes.
public struct SimulationOptions: Sendable {
    public var annotators = 3
    /// Mean Bradley-Terry temperature in gold-score units (see `SimulatedAnnotator`).
    public var noise = 1.0
    /// Tie probability at equal gold scores (Davidson).
    public var tieRate = 0.2
    /// Chance the completion shown first wins a pair of equal gold scores (0.5 is unbiased).
    public var positionBias = 0.55
    /// Seeds the judgements and, as `rlhf label --seed`, each annotator's queue and shown order.
    public var seed: UInt64 = 0
    public var filter = QueueFilter()
    public var pairs: SessionOptions.Pairs = .all
    public var overlap = 1
    /// Labels per simulated annotator, as `rlhf label --limit` is per session.
    public var limit: Int?

    public init() {}

    public var roster: [SimulatedAnnotator] {
        SimulatedAnnotator.roster(count: annotators, noise: noise, tieRate: tieRate, positionBias: positionBias, seed: seed)
    }
}

/// Simulated annotators labeling through the same `LabelSession` as `rlhf label`: each has a session
/// that claims pairs from the store's queue (so a pair a person holds is not offered to them, and
/// `--overlap` counts their labels with everyone's), sees the pair in the session's shown order,
/// and answers with a `Decision` as a person at the keyboard would. They take turns, one pair each,
/// so that with overlap 1 the pairs spread evenly over them.
///
/// Time: each session has a `ManualClock` set to the real time when it asks for a pair (claims are
/// judged against people's claims on the same clock) and moved on by the simulated reading time
/// before it decides, so a label records a plausible number of seconds while the run takes
/// milliseconds. `now` is injectable so tests can hold the time still.
public final class SimulatedLabeling {
    public let store: Store
    public let options: SimulationOptions
    let now: () -> Int64

    public init(store: Store, options: SimulationOptions, now: @escaping () -> Int64 = { SystemClock().nowMs() }) {
        self.store = store
        self.options = options
        self.now = now
    }

    /// Labels saved per annotator, in roster order.
    public struct Summary: Sendable, Equatable {
        public var labels: [(name: String, count: Int)] = []
        public var total: Int { labels.reduce(0) { $0 + $1.count } }
        public static func == (l: Summary, r: Summary) -> Bool { l.labels.elementsEqual(r.labels) { $0 == $1 } }
    }

    /// Runs until every annotator's queue is empty or has reached the limit. `progress` is called
    /// after each label with the number saved so far.
    @discardableResult
    public func run(progress: ((Int) -> Void)? = nil) throws -> Summary {
        struct Member { let annotator: SimulatedAnnotator; let session: LabelSession; let clock: ManualClock }
        var members: [Member] = []
        for annotator in options.roster {
            var o = SessionOptions(annotator: annotator.name)
            o.filter = options.filter
            o.pairs = options.pairs
            o.overlap = options.overlap
            o.limit = options.limit
            o.seed = options.seed
            o.source = "simulated"
            let clock = ManualClock(ms: now())
            members.append(Member(annotator: annotator, session: try LabelSession(store: store, options: o, clock: clock), clock: clock))
        }
        // Simulated labels are a function of the seed, so they do not need to survive a power cut:
        // synchronous=NORMAL (WAL stays consistent; only the newest commits could roll back, and a rerun
        // labels those pairs again) instead of an fsync per label, which made a 37,000-label run take
        // 48 s instead of 6 on a busy disk. Same transactions, same code; only this connection, only
        // while the simulation runs.
        try store.db.execute("PRAGMA synchronous = NORMAL")
        defer { try? store.db.execute("PRAGMA synchronous = FULL") }
        var active = Array(members.indices)
        var saved = 0
        while !active.isEmpty {
            var stillActive: [Int] = []
            for index in active {
                let member = members[index]
                member.clock.ms = now()
                guard let offered = try member.session.next() else { continue }
                let judgement = member.annotator.judge(offered.pair, shownTexts: offered.shownTexts)
                member.clock.ms += Int64((judgement.seconds * 1000).rounded())
                _ = try member.session.decide(judgement.decision)
                saved += 1
                progress?(saved)
                if let limit = options.limit, member.session.labelsSaved >= limit { continue }
                stillActive.append(index)
            }
            active = stillActive
        }
        var summary = Summary()
        for member in members { summary.labels.append((member.annotator.name, member.session.labelsSaved)) }
        return summary
    }
}
