import Foundation

/// AdamW's hyperparameters (Loshchilov & Hutter 2019), named as torch.optim.AdamW names them.
public struct AdamWConfig: Codable, Equatable, Sendable {
    /// beta1: decay of the first-moment average. 0.9, torch's default.
    public var beta1: Float = 0.9
    /// beta2: decay of the second-moment average. 0.95 as GPT-3 and llm.c train (torch's default 0.999
    /// adapts too slowly for the short runs here).
    public var beta2: Float = 0.95
    /// eps added to the denominator. 1e-8, torch's default.
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay, multiplied by the learning rate. 0.1 as GPT-3 and nanoGPT.
    public var weightDecay: Float = 0.1
    /// Decay every tensor (torch's behaviour with one parameter group) or only matrices (embeddings and
    /// projections, nanoGPT's grouping). Default: matrices only.
    public var decayAllTensors: Bool = false

    public init(beta1: Float = 0.9, beta2: Float = 0.95, epsilon: Float = 1e-8, weightDecay: Float = 0.1,
                decayAllTensors: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decayAllTensors = decayAllTensors
    }
}

/// AdamW with decoupled weight decay and bias correction, step for step what torch.optim.AdamW's
/// single-tensor path computes: decay, then the moments, then p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
/// Its moments have the parameters' layout, one flat buffer each.
public final class AdamW {
    public let config: AdamWConfig
    public let layout: ParameterLayout
    /// First and second moments, laid out like the parameters.
    public let m: FloatBuffer
    public let v: FloatBuffer
    /// Updates taken so far (torch's `step`, used for bias correction).
    public internal(set) var step: Int = 0

    public init(config: AdamWConfig = AdamWConfig(), layout: ParameterLayout) {
        self.config = config
        self.layout = layout
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
    }

    /// One update of `parameters` from `gradients * gradientScale` (the clipping factor) at `learningRate`.
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, gradientScale: Float = 1) {
        precondition(parameters.count == layout.count && gradients.count == layout.count, "buffers do not match the layout")
        step += 1
        let c = config
        let bc1 = 1 - Foundation.pow(Double(c.beta1), Double(step))
        let bc2 = 1 - Foundation.pow(Double(c.beta2), Double(step))
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        Profile.measure("adamw") {
        for tensor in layout.tensors {
            let decay = c.decayAllTensors || tensor.isMatrix ? 1 - learningRate * c.weightDecay : 1
            let base = tensor.offset
            Parallel.forRanges(tensor.count, minimum: 65_536) { range in
                AdamW.kernel(p: parameters.pointer + base, g: gradients.pointer + base, m: m.pointer + base, v: v.pointer + base,
                             range: range, decay: decay, gradientScale: gradientScale, beta1: c.beta1, beta2: c.beta2,
                             stepSize: stepSize, bc2Sqrt: bc2Sqrt, eps: c.epsilon)
            }
        }
        }
    }

    @inline(__always)
    static func kernel(p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                       v: UnsafeMutablePointer<Float>, range: Range<Int>, decay: Float, gradientScale: Float,
                       beta1: Float, beta2: Float, stepSize: Float, bc2Sqrt: Float, eps: Float) {
        let vDecay = SIMD8<Float>(repeating: decay), vScale = SIMD8<Float>(repeating: gradientScale)
        let vOneMinusB1 = SIMD8<Float>(repeating: 1 - beta1), vB2 = SIMD8<Float>(repeating: beta2)
        let vOneMinusB2 = SIMD8<Float>(repeating: 1 - beta2), vStep = SIMD8<Float>(repeating: stepSize)
        let vBc2 = SIMD8<Float>(repeating: bc2Sqrt), vEps = SIMD8<Float>(repeating: eps)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let grad = load8(g + i) * vScale
            let param = load8(p + i) * vDecay
            var mi = load8(m + i)
            mi = mi + (grad - mi) * vOneMinusB1            // torch: exp_avg.lerp_(grad, 1 - beta1)
            let vi = load8(v + i) * vB2 + vOneMinusB2 * grad * grad
            let denom = vi.squareRoot() / vBc2 + vEps
            store8(m + i, mi)
            store8(v + i, vi)
            store8(p + i, param - vStep * (mi / denom))
            i += 8
        }
        while i < range.upperBound {
            let grad = g[i] * gradientScale
            let param = p[i] * decay
            let mi = m[i] + (grad - m[i]) * (1 - beta1)
            let vi = v[i] * beta2 + (1 - beta2) * grad * grad
            let denom = vi.squareRoot() / bc2Sqrt + eps
            m[i] = mi
            v[i] = vi
            p[i] = param - stepSize * (mi / denom)
            i += 1
        }
    }
}

/// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_: scale = max_norm / (norm + 1e-6)
/// when the norm exceeds max_norm. The scale is folded into the AdamW update instead of a pass over the
/// gradients.
public enum GradientClipping {
    /// sqrt(sum g^2) over the whole buffer; fixed chunks summed in double, in chunk order.
    public static func globalNorm(_ gradients: FloatBuffer) -> Float {
        let n = gradients.count
        let chunks = Parallel.chunkCount(n, minimum: 1 << 18, maxChunks: 64)
        var partials = [Double](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(chunks) { chunk in
                let range = Parallel.range(chunk, of: chunks, total: n)
                var total: Double = 0
                var i = range.lowerBound
                // Float partial sums over 4096 elements keep float speed and double accuracy.
                while i < range.upperBound {
                    let end = min(i + 4096, range.upperBound)
                    total += Double(vectorDot(gradients.pointer + i, gradients.pointer + i, end - i))
                    i = end
                }
                out[chunk] = total
            }
        }
        return Float(partials.reduce(0, +).squareRoot())
    }

    /// The factor that brings `norm` down to `maxNorm` (1 when already below).
    public static func scale(norm: Float, maxNorm: Float) -> Float {
        min(1, maxNorm / (norm + 1e-6))
    }
}
