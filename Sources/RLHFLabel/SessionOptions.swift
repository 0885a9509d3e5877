import RLHFCore
import RLHFData
import RLHFStore

public struct SessionOptions: Sendable {
    public enum Pairs: String, CaseIterable, Sendable {
        case all
        case onePerPrompt = "one-per-prompt"
    }

    public var annotator: String
    public var filter = QueueFilter()
    public var pairs: Pairs = .all
    /// Current labels asked for per pair, from different annotators (imported labels count).
    public var overlap = 1
    /// End the session after this many labels saved.
    public var limit: Int?
    /// Queue order and shown order; mixed with the annotator's name, so two annotators on one store
    /// walk the queue in different orders (fewer collisions) and each is reproducible.
    public var seed: UInt64 = 0
    /// How long a claim holds without a keypress.
    public var leaseMs: Int64 = 10 * 60 * 1000
    /// `human`, or `simulated` for simulated annotators.
    public var source = "human"

    public init(annotator: String) { self.annotator = annotator }

    /// A per-annotator, per-item stream of the seed: deterministic, independent of queue position.
    func mix(_ values: Int64...) -> UInt64 {
        var h = SHA256()
        h.update("\(seed)|\(annotator)|" + values.map(String.init).joined(separator: ","))
        let d = h.finalize()
        return d.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
