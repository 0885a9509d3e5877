import Foundation
import RLHFCore

/// Picks the next token from one row of logits and reports its log-probability under the full
/// tempered distribution, log_softmax(logits / temperature), before top-k and top-p cut it: the
/// quantity PPO's ratio and KL need (a truncated distribution would not be the policy's). Temperature
/// 0 is greedy: the argmax (lowest id on ties), with its log-probability at temperature 1.
/// Order of the filters as Hugging Face's `generate`: temperature, then top-k, then top-p.
enum TokenChoice {
    /// `logits` (V) of one sequence; `row` (V) and `candidates` are scratch.
    static func choose(logits: UnsafePointer<Float>, row: UnsafeMutablePointer<Float>, V: Int, settings: SamplingSettings,
                       random: inout SeededRandom, candidates: inout [(probability: Float, id: Int)]) -> (id: Int, logProbability: Float) {
        let m = maximum(logits, V)
        let temperature = settings.temperature
        if temperature == 0 {
            var best = 0
            while best < V - 1 && !(logits[best] == m) { best += 1 }   // the lowest id holding the maximum
            return (best, -Foundation.log(expSum(logits, row, V, shift: m, scale: 1)))
        }
        // p_v = exp((z_v - max) / T), unnormalised, in row.
        let inverse = 1 / temperature
        let total = expSum(logits, row, V, shift: m, scale: inverse)
        let logTotal = Foundation.log(total)
        // From the logit itself, so a token far below e^-87 still gets its true log-probability.
        func logProbability(_ id: Int) -> Float { (logits[id] - m) * inverse - logTotal }

        if settings.topK == 0 && settings.topP >= 1 {
            let id = pick(from: row, V, total: total, random: &random)
            return (id, logProbability(id))
        }
        // Candidates in order of probability (ties: lower id first).
        candidates.removeAll(keepingCapacity: true)
        let k = settings.topK > 0 ? min(settings.topK, V) : V
        if k < V {
            topK(row, V, k, into: &candidates)
        } else {
            for v in 0..<V { candidates.append((row[v], v)) }
            candidates.sort { $0.probability != $1.probability ? $0.probability > $1.probability : $0.id < $1.id }
        }
        var kept = candidates.count
        if settings.topP < 1 {
            // Smallest prefix whose share of the remaining mass reaches top_p (at least one token).
            var mass: Double = 0
            for c in candidates { mass += Double(c.probability) }
            var cumulative: Double = 0
            for (i, c) in candidates.enumerated() {
                cumulative += Double(c.probability)
                if cumulative >= Double(settings.topP) * mass { kept = i + 1; break }
            }
        }
        var mass: Double = 0
        for c in candidates[0..<kept] { mass += Double(c.probability) }
        let target = random.nextDouble() * mass
        var cumulative: Double = 0
        var chosen = candidates[kept - 1].id
        for c in candidates[0..<kept] {
            cumulative += Double(c.probability)
            if target < cumulative { chosen = c.id; break }
        }
        return (chosen, logProbability(chosen))
    }

    /// The largest logit (NaN ignored, as `>` ignores it), 8 lanes at a time.
    private static func maximum(_ x: UnsafePointer<Float>, _ V: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= V { lanes = lanesMax(lanes, load8(x + i)); i += 8 }
        var m = horizontalMax(lanes)
        while i < V { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }

    /// row = exp((logits - shift) * scale); returns its sum (fixed order).
    private static func expSum(_ logits: UnsafePointer<Float>, _ row: UnsafeMutablePointer<Float>, _ V: Int, shift: Float,
                               scale: Float) -> Float {
        let vs = SIMD8<Float>(repeating: shift), vk = SIMD8<Float>(repeating: scale)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= V {
            let e0 = VectorMath.exp((load8(logits + i) - vs) * vk), e1 = VectorMath.exp((load8(logits + i + 8) - vs) * vk)
            store8(row + i, e0); store8(row + i + 8, e1)
            a0 += e0; a1 += e1
            i += 16
        }
        while i + 8 <= V {
            let e = VectorMath.exp((load8(logits + i) - vs) * vk)
            store8(row + i, e)
            a0 += e
            i += 8
        }
        var sum = DecodeKernels.lanes(a0 + a1)
        while i < V {
            let e = VectorMath.exp((logits[i] - shift) * scale)
            row[i] = e
            sum += e
            i += 1
        }
        return sum
    }

    /// Inverse-CDF draw over the unnormalised probabilities in id order.
    private static func pick(from p: UnsafePointer<Float>, _ V: Int, total: Float, random: inout SeededRandom) -> Int {
        let target = random.nextDouble() * Double(total)
        var cumulative: Double = 0
        var last = 0
        for v in 0..<V where p[v] > 0 {
            cumulative += Double(p[v])
            last = v
            if target < cumulative { return v }
        }
        return last   // rounding left the target past the end: the last token with any mass
    }

    /// The k most probable ids, most probable first (ties: lower id first), by a bounded insertion
    /// list in two flat buffers. Once the list is full, eight values at a time are compared with its
    /// k-th in one vector compare, and only a group holding a larger value is offered one by one.
    /// (A heap instead of the list measured no faster at k = 50.)
    private static func topK(_ p: UnsafePointer<Float>, _ V: Int, _ k: Int, into out: inout [(probability: Float, id: Int)]) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { values in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { ids in
                var count = 0
                @inline(__always) func offer(_ v: Int) {
                    let value = p[v]
                    if count == k {
                        if !(value > values[k - 1]) { return }   // equal: the earlier id stays
                        count -= 1
                    }
                    var position = count
                    while position > 0 && values[position - 1] < value {
                        values[position] = values[position - 1]
                        ids[position] = ids[position - 1]
                        position -= 1
                    }
                    values[position] = value
                    ids[position] = v
                    count += 1
                }
                var v = 0
                while v + 8 <= V {
                    if count < k || any(load8(p + v) .> SIMD8<Float>(repeating: values[k - 1])) {
                        for lane in v..<(v + 8) { offer(lane) }
                    }
                    v += 8
                }
                while v < V { offer(v); v += 1 }
                for i in 0..<count { out.append((values[i], ids[i])) }
            }
        }
    }
}
