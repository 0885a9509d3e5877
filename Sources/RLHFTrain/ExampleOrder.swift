import RLHFCore

/// Which example each step reads. Epoch e visits every example once, in the order of a Fisher-Yates
/// shuffle seeded by (seed, e); global position p reads epoch p / count, offset p % count. The order is a
/// function of the position alone, so a resumed run needs only the position saved in its checkpoint.
public struct ExampleOrder: Sendable {
    public let count: Int
    public let seed: UInt64
    private var epoch = -1
    private var permutation: [Int] = []

    public init(count: Int, seed: UInt64) {
        precondition(count > 0)
        self.count = count
        self.seed = seed
    }

    /// Example indices at positions position ..< position + n, crossing into the next epoch as needed.
    public mutating func indices(from position: Int, count n: Int) -> [Int] {
        (position..<(position + n)).map { index(at: $0) }
    }

    public mutating func index(at position: Int) -> Int {
        let e = position / count
        if e != epoch {
            var random = SeededRandom(seed: seed, stream: UInt64(e))
            permutation = Array(0..<count)
            random.shuffle(&permutation)
            epoch = e
        }
        return permutation[position % count]
    }

    /// Epochs completed at a position, fractional (what transformers logs as `epoch`).
    public func epoch(at position: Int) -> Double { Double(position) / Double(count) }
}
