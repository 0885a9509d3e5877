import RLHFKernelsAVX512

/// A weight rounded to bfloat16: a float's sign, its 8 exponent bits and the top 7 of its 23 mantissa
/// bits (Google Brain's format, `torch.bfloat16`). Widening back to a float is exact (the low 16 bits
/// become zero), so a product over bfloat16 weights is the float32 product over the rounded weights.
public struct BFloat16: Equatable, Sendable {
    public let bits: UInt16

    /// Rounds to nearest, ties to even, as torch's `.to(torch.bfloat16)`; NaN stays NaN (quiet).
    @inline(__always)
    public init(_ value: Float) {
        let b = value.bitPattern
        if value.isNaN {
            bits = UInt16(truncatingIfNeeded: b >> 16) | 0x0040
        } else {
            bits = UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
        }
    }

    @inline(__always)
    public var float: Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `value` rounded to bfloat16 and widened back.
    @inline(__always)
    public static func rounded(_ value: Float) -> Float { BFloat16(value).float }
}

/// What the decoding kernels' weight panels hold: floats, or bfloat16 widened as they are loaded.
protocol PanelElement {
    init(_ value: Float)
    /// The eight weights at p, as floats.
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Float>
    /// RLHFKernelsAVX512's 8-row, 2-panel kernel over panels of this element.
    static func eightRowsTwoPanels(x: UnsafePointer<Float>, ldX: Int, panel0: UnsafePointer<Self>, panel1: UnsafePointer<Self>,
                                   ks: Range<Int>, sums: UnsafeMutablePointer<Float>, prefetchAhead: Int,
                                   prefetchFirst: Bool, prefetchSecond: Bool)
}

extension Float: PanelElement {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func eightRowsTwoPanels(x: UnsafePointer<Float>, ldX: Int, panel0: UnsafePointer<Float>, panel1: UnsafePointer<Float>,
                                   ks: Range<Int>, sums: UnsafeMutablePointer<Float>, prefetchAhead: Int,
                                   prefetchFirst: Bool, prefetchSecond: Bool) {
        AVX512Kernels.eightRowsTwoPanels(x: x, ldX: ldX, panel0: panel0, panel1: panel1, ks: ks, sums: sums,
                                         prefetchAhead: prefetchAhead, prefetchFirst: prefetchFirst, prefetchSecond: prefetchSecond)
    }
}

extension BFloat16: PanelElement {
    /// One zero-extending load and a shift (vpmovzxwd, vpslld).
    @inline(__always)
    static func load8(_ p: UnsafePointer<BFloat16>) -> SIMD8<Float> {
        let halves = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: halves) &<< 16, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func eightRowsTwoPanels(x: UnsafePointer<Float>, ldX: Int, panel0: UnsafePointer<BFloat16>, panel1: UnsafePointer<BFloat16>,
                                   ks: Range<Int>, sums: UnsafeMutablePointer<Float>, prefetchAhead: Int,
                                   prefetchFirst: Bool, prefetchSecond: Bool) {
        // BFloat16 is its 16 bits (one stored property), so its panels are panels of UInt16.
        let p0 = UnsafeRawPointer(panel0).assumingMemoryBound(to: UInt16.self)
        let p1 = UnsafeRawPointer(panel1).assumingMemoryBound(to: UInt16.self)
        AVX512Kernels.eightRowsTwoPanels(x: x, ldX: ldX, bfloat16Panel0: p0, panel1: p1, ks: ks, sums: sums,
                                         prefetchAhead: prefetchAhead, prefetchFirst: prefetchFirst, prefetchSecond: prefetchSecond)
    }
}
