/// Every block's keys and values for B sequences of up to S positions, so a decoding step computes only
/// the new token's row (incremental decoding, as in GPT-2's `past_key_values`).
/// - Keys of one (layer, sequence, head) are tiles of 8 positions, each tile (HS, 8): dimension d of
///   positions 8i ..< 8i+8 sits at ((i * HS) + d) * 8. A query's scores are then 8-wide passes over
///   positions with no horizontal sums that read memory front to back (a (HS, S) layout strides by S
///   per dimension and costs a scalar pass over the last positions; measured in issue 9's note).
/// - Values are (S, HS), one row per position, which is how the weighted sum reads them.
/// Positions past a sequence's last are never read for a result: a tile's unused lanes hold whatever an
/// earlier call left there, and their scores are computed and discarded.
final class KVCache {
    static let tile = 8
    let B: Int, S: Int, L: Int, NH: Int, HS: Int
    /// S rounded up to whole tiles.
    let paddedS: Int
    let storage: FloatBuffer
    private let keyBase: UnsafeMutablePointer<Float>
    private let valueBase: UnsafeMutablePointer<Float>

    init(config: GPT2Config, sequences B: Int, positions S: Int) {
        self.B = B
        self.S = S
        L = config.layers
        NH = config.heads
        HS = config.headSize
        paddedS = (S + KVCache.tile - 1) / KVCache.tile * KVCache.tile
        let half = L * B * NH * paddedS * HS
        storage = FloatBuffer(count: 2 * half)
        keyBase = storage.pointer
        valueBase = storage.pointer + half
    }

    /// Whether this cache can serve `sequences` sequences of up to `positions` positions for `config`.
    func fits(_ config: GPT2Config, sequences: Int, positions: Int) -> Bool {
        config.layers == L && config.heads == NH && config.headSize == HS && sequences <= B && positions <= S
    }

    /// Keys of (layer, sequence, head): paddedS / 8 tiles of (HS, 8).
    @inline(__always)
    func keys(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        keyBase + (((l * B + b) * NH + h) * paddedS) * HS
    }

    /// Values of (layer, sequence, head): (S, HS).
    @inline(__always)
    func values(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        valueBase + (((l * B + b) * NH + h) * paddedS) * HS
    }

    /// Stores position t's keys and values from one qkv row ([q | k | v], 3C wide).
    @inline(__always)
    func store(layer l: Int, sequence b: Int, position t: Int, qkvRow: UnsafePointer<Float>) {
        let C = NH * HS, tile = KVCache.tile
        for h in 0..<NH {
            let k = keys(l, b, h) + (t / tile) * HS * tile + t % tile, source = qkvRow + C + h * HS
            for d in 0..<HS { k[d * tile] = source[d] }
            (values(l, b, h) + t * HS).update(from: qkvRow + 2 * C + h * HS, count: HS)
        }
    }
}
