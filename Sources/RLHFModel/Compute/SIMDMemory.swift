/// Unaligned 8-wide loads and stores. Swift keeps IEEE order for scalar float loops and never
/// vectorises them (STYLE.md), so every element-wise kernel is written over `SIMD8<Float>`.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Sum of `n` floats with four independent 8-wide accumulators (a fixed order, so deterministic).
@inline(__always)
func vectorSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var i = 0
    while i + 32 <= n {
        a0 += load8(x + i); a1 += load8(x + i + 8); a2 += load8(x + i + 16); a3 += load8(x + i + 24)
        i += 32
    }
    while i + 8 <= n { a0 += load8(x + i); i += 8 }
    var s = ((a0 + a1) + (a2 + a3)).sum()
    while i < n { s += x[i]; i += 1 }
    return s
}

/// Dot product of `n` floats, same accumulation scheme as `vectorSum`.
@inline(__always)
func vectorDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var i = 0
    while i + 32 <= n {
        a0 += load8(x + i) * load8(y + i); a1 += load8(x + i + 8) * load8(y + i + 8)
        a2 += load8(x + i + 16) * load8(y + i + 16); a3 += load8(x + i + 24) * load8(y + i + 24)
        i += 32
    }
    while i + 8 <= n { a0 += load8(x + i) * load8(y + i); i += 8 }
    var s = ((a0 + a1) + (a2 + a3)).sum()
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}

/// y[i] += x[i] for n floats.
@inline(__always)
func vectorAdd(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(y + i, load8(y + i) + load8(x + i)); i += 8 }
    while i < n { y[i] += x[i]; i += 1 }
}

/// y[i] += a * x[i] for n floats.
@inline(__always)
func vectorAddScaled(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    let va = SIMD8<Float>(repeating: a)
    var i = 0
    while i + 8 <= n { store8(y + i, load8(y + i) + va * load8(x + i)); i += 8 }
    while i < n { y[i] += a * x[i]; i += 1 }
}

/// Column sums of a row-major (rows, n) matrix added into `out` (n): `out[j] += sum_r x[r, j]`.
/// Rows are added in order, so the result does not depend on how callers split the columns.
@inline(__always)
func addColumnSums(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Range<Int>,
                   n: Int, stride: Int) {
    var j = 0
    while j + 32 <= n {
        var a0 = load8(out + j), a1 = load8(out + j + 8), a2 = load8(out + j + 16), a3 = load8(out + j + 24)
        for r in rows {
            let row = x + r * stride + j
            a0 += load8(row); a1 += load8(row + 8); a2 += load8(row + 16); a3 += load8(row + 24)
        }
        store8(out + j, a0); store8(out + j + 8, a1); store8(out + j + 16, a2); store8(out + j + 24, a3)
        j += 32
    }
    while j + 8 <= n {
        var a0 = load8(out + j)
        for r in rows { a0 += load8(x + r * stride + j) }
        store8(out + j, a0)
        j += 8
    }
    while j < n {
        var s = out[j]
        for r in rows { s += x[r * stride + j] }
        out[j] = s
        j += 1
    }
}

/// acc += a * b, fused (one rounding) where the target has FMA: AVX2 builds (Package.swift) and arm64.
/// A baseline x86-64 build (RLHF_PORTABLE=1) multiplies then adds, because there `addProduct` is a libm
/// call per lane (measured: 0.5 GFLOP/s).
@inline(__always)
func multiplyAdd(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
    #if RLHF_HASWELL || arch(arm64)
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

@inline(__always)
func multiplyAdd(_ acc: inout Float, _ a: Float, _ b: Float) {
    #if RLHF_HASWELL || arch(arm64)
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}
