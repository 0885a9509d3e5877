/// GELU with the tanh approximation (Hendrycks & Gimpel 2016), Hugging Face's "gelu_new":
/// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3). Computed as x * sigmoid(2u), the same
/// function (0.5 (1 + tanh(u)) = 1 / (1 + e^{-2u})) with one exp, one add and one division.
enum GELU {
    static let scale: Float = 0.797_884_560_802_865_4   // sqrt(2 / pi)
    static let cubic: Float = 0.044_715

    /// out (n) = gelu(inp); out may alias inp.
    static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int) {
        Profile.measure("gelu.forward") {
            Parallel.forRanges(n, minimum: 32_768) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(out + i, value(load8(inp + i)))
                    i += 8
                }
                while i < range.upperBound {
                    out[i] = value(SIMD8(repeating: inp[i]))[0]
                    i += 1
                }
            }
        }
    }

    @inline(__always)
    static func value(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let inner: SIMD8<Float> = x + cubic * x * x * x
        let e: SIMD8<Float> = VectorMath.exp((-2 * scale) * inner)   // exp clamps, so huge |x| stays finite
        return x / (1 + e)
    }

    /// gelu = x s, s = sigmoid(2u) = 1 / (1 + e), e = exp(-2u)  =>
    /// d gelu / dx = s + x s (1 - s) 2 du/dx, du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2),
    /// with 1 - s taken as e s: computing 1 - s directly cancels to nothing when s is near 1.
    @inline(__always)
    static func derivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x2: SIMD8<Float> = x * x
        let inner: SIMD8<Float> = x + cubic * x2 * x
        let e: SIMD8<Float> = VectorMath.exp((-2 * scale) * inner)
        let s: SIMD8<Float> = 1 / (1 + e)
        let slope: SIMD8<Float> = (2 * scale) * (1 + (3 * cubic) * x2)
        return s * (1 + x * (e * s) * slope)
    }

    /// dinp (n) = dout * gelu'(inp). Overwrites (the caller's buffer is scratch); dinp may alias dout.
    static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>,
                         n: Int) {
        Profile.measure("gelu.backward") {
            Parallel.forRanges(n, minimum: 32_768) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(dinp + i, load8(dout + i) * derivative(load8(inp + i)))
                    i += 8
                }
                while i < range.upperBound {
                    dinp[i] = dout[i] * derivative(SIMD8(repeating: inp[i]))[0]
                    i += 1
                }
            }
        }
    }
}
