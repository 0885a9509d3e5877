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

    /// A per-annotator, per-item stream of the seed: deterministic, independent of queue position and
    /// platform. SplitMix64's finaliser over (seed, annotator, values): cheap enough to key millions of
    /// pairs at session start (SHA-256 here made a 39-million-pair queue take minutes).
    func mix(_ values: Int64...) -> UInt64 {
        var h = annotatorKey
        for v in values { h = Self.splitmix(h ^ UInt64(bitPattern: v)) }
        return h
    }

    var annotatorKey: UInt64 {
        var h = Self.splitmix(seed)
        for byte in annotator.utf8 { h = Self.splitmix(h ^ UInt64(byte)) }
        return h
    }

    static func splitmix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
