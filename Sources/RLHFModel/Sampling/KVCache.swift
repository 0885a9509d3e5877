/// Every block's keys and values for B sequences of up to S positions, so a decoding step computes only
/// the new token's row (incremental decoding, as in GPT-2's `past_key_values`). Laid out
/// (L, B, NH, S, HS) for keys and for values: one head's positions are contiguous, which is what the
/// decoding attention reads.
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

    /// Keys of (layer, sequence, head): (S, HS).
    @inline(__always)
    func keys(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        keyBase + (((l * B + b) * NH + h) * S) * HS
    }

    @inline(__always)
    func values(_ l: Int, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        valueBase + (((l * B + b) * NH + h) * S) * HS
    }

    /// Stores position t's keys and values from one qkv row ([q | k | v], 3C wide).
    @inline(__always)
    func store(layer l: Int, sequence b: Int, position t: Int, qkvRow: UnsafePointer<Float>) {
        let C = NH * HS
        for h in 0..<NH {
            (keys(l, b, h) + t * HS).update(from: qkvRow + C + h * HS, count: HS)
            (values(l, b, h) + t * HS).update(from: qkvRow + 2 * C + h * HS, count: HS)
        }
    }
}
