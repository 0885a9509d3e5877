/// GELU with the tanh approximation (Hendrycks & Gimpel 2016), Hugging Face's "gelu_new":
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
enum GELU {
    static let scale: Float = 0.797_884_560_802_865_4   // sqrt(2 / pi)
    static let cubic: Float = 0.044_715

    /// out (n) = gelu(inp); out may alias inp.
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int) {
        Profile.measure("gelu.forward") {
            let o = SendablePointer(out), x = SendablePointer(UnsafeMutablePointer(mutating: inp))
            Parallel.forRanges(n, minimum: 32_768) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(o.base + i, value(load8(x.base + i)))
                    i += 8
                }
                while i < range.upperBound {
                    o.base[i] = value(SIMD8(repeating: x.base[i]))[0]
                    i += 1
                }
            }
        }
    }

    @inline(__always)
    static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let inner: SIMD8<Float> = x + cubic * x * x * x
        let th: SIMD8<Float> = VectorMath.tanh(scale * inner)
        return (0.5 * x) * (1 + th)
    }

    /// d gelu / dx = 0.5 (1 + th) + 0.5 x (1 - th^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), th = tanh(u).
    @inline(__always)
    static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x2: SIMD8<Float> = x * x
        let inner: SIMD8<Float> = x + cubic * x2 * x
        let th: SIMD8<Float> = VectorMath.tanh(scale * inner)
        let slope: SIMD8<Float> = scale * (1 + (3 * cubic) * x2)
        let half: SIMD8<Float> = 0.5 * (1 + th)
        return half + (0.5 * x) * (1 - th * th) * slope
    }

    /// dinp (n) = dout * gelu'(inp). Overwrites (the caller's buffer is scratch); dinp may alias dout.
    static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                         n: Int) {
        Profile.measure("gelu.backward") {
            let di = SendablePointer(dinp), x = SendablePointer(UnsafeMutablePointer(mutating: inp))
            let dO = SendablePointer(UnsafeMutablePointer(mutating: dout))
            Parallel.forRanges(n, minimum: 32_768) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(di.base + i, load8(dO.base + i) * derivative(load8(x.base + i)))
                    i += 8
                }
                while i < range.upperBound {
                    di.base[i] = dO.base[i] * derivative(SIMD8(repeating: x.base[i]))[0]
                    i += 1
                }
            }
        }
    }
}
