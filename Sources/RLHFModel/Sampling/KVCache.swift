/// Every block's keys and values for B sequences of up to S positions, so a decoding step computes only
/// the new token's row (incremental decoding, as in GPT-2's `past_key_values`). Keys are laid out
/// (L, B, NH, HS, S), one row per head dimension across positions, so a query's scores are a few
/// 8-wide passes over positions with no horizontal sums; values (L, B, NH, S, HS), one row per
/// position, which is how the weighted sum reads them.
final class KVCache {
    let B: Int, S: Int, L: Int, NH: Int, HS: Int
    let storage: FloatBuffer
    private let keyBase: UnsafeMutablePointer<Float>
    private let valueBase: UnsafeMutablePointer<Float>

    init(config: GPT2Config, sequences B: Int, positions S: Int) {
        self.B = B
        self.S = S
        L = config.layers
        NH = config.heads
        HS = config.headSize
        let half = L * B * NH * S * HS
        storage = FloatBuffer(count: 2 * half)
        keyBase = storage.pointer
        valueBase = storage.pointer + half
    }

    /// Keys of (layer, sequence, head): (HS, S), transposed.
    @inline(__always)
    func keys(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        keyBase + (((l * B + b) * NH + h) * S) * HS
    }

    /// Values of (layer, sequence, head): (S, HS).
    @inline(__always)
    func values(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        valueBase + (((l * B + b) * NH + h) * S) * HS
    }

    /// Stores position t's keys and values from one qkv row ([q | k | v], 3C wide).
    @inline(__always)
    func store(layer l: Int, sequence b: Int, position t: Int, qkvRow: UnsafePointer<Float>) {
        let C = NH * HS
        for h in 0..<NH {
            let k = keys(l, b, h) + t, source = qkvRow + C + h * HS
            for d in 0..<HS { k[d * S] = source[d] }
            (values(l, b, h) + t * HS).update(from: qkvRow + 2 * C + h * HS, count: HS)
        }
    }
}
