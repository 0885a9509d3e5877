/// Vector approximations of exp and tanh over `SIMD8<Float>`: Swift has no vectorised libm, and the
/// scalar `expf`/`tanhf` in a loop run about 5x slower than these (STYLE.md). `VectorMathTests` bounds
/// their error against the scalar functions.
enum VectorMath {
    // Cody-Waite split of ln 2: n * ln2High is exact for |n| < 2^10, so x - n ln 2 loses no bits.
    static let ln2High: Float = 0.693_359_375
    static let ln2Low: Float = -2.121_944_4e-4
    static let log2e: Float = 1.442_695_04
    /// 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits (no float->int
    /// conversion instruction needed, which generic SIMD conversions would scalarise).
    static let shifter: Float = 12_582_912

    /// e^x, relative error below 2e-7 on [-87, 88]; inputs outside are clamped (e^-87 ~ 1.6e-38 stands in
    /// for underflow, which a softmax sum never notices).
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x = lanesMin(lanesMax(x, SIMD8(repeating: -87)), SIMD8(repeating: 88))
        let t = x * log2e + shifter
        let n = t - shifter
        let r = (x - n * ln2High) - n * ln2Low        // |r| <= ln2 / 2
        // Taylor to degree 7 on |r| <= 0.347: truncation error 0.347^8 / 8! ~ 5e-9.
        var p: SIMD8<Float> = SIMD8(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n from the integer sitting in t's mantissa: (n + 127) << 23 is the float's bit pattern.
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(SIMD8<Float>(repeating: shifter), to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }

    /// tanh(x) = 1 - 2 / (e^{2x} + 1); absolute error below 3e-7 (the form loses relative precision
    /// only near 0, where GELU multiplies it by x/2 anyway).
    @inline(__always)
    static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x = lanesMin(lanesMax(x, SIMD8(repeating: -9)), SIMD8(repeating: 9))
        return 1 - 2 / (exp(x + x) + 1)
    }

    /// Scalar twins for tails, using the same formulas so a row's result does not depend on where the
    /// 8-wide part ends.
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }

    @inline(__always)
    static func tanh(_ x: Float) -> Float { tanh(SIMD8(repeating: x))[0] }
}

// Lane-wise max and min written as lane loops: LLVM turns these into maxps/minps, while the standard
// library's `pointwiseMax`, `clamped` and `.max()` are out-of-line generic calls that run lane by lane
// (measured: GELU at 56 M/s with `clamped`).
@inline(__always)
func lanesMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>()
    for i in 0..<8 { r[i] = a[i] > b[i] ? a[i] : b[i] }
    return r
}

@inline(__always)
func lanesMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    var r = SIMD8<Float>()
    for i in 0..<8 { r[i] = a[i] < b[i] ? a[i] : b[i] }
    return r
}

@inline(__always)
func horizontalMax(_ a: SIMD8<Float>) -> Float {
    var m = a[0]
    for i in 1..<8 { m = m > a[i] ? m : a[i] }
    return m
}
