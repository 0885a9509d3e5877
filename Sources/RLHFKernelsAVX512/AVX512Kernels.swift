import CPrefetch

/// The one decoding kernel that pays for AVX-512 (issue 9's batch-16 sampling): eight rows against two
/// 16-output panels, sixteen 16-wide accumulators, twice the multiply-adds per instruction of the AVX2
/// kernels in RLHFModel. Its own target so only this code is compiled for AVX-512 (Package.swift);
/// RLHFModel calls it only after checking the CPU. Each output is the same chain of fused multiply-adds
/// over the inputs in order as in the AVX2 kernels, so both give the same bits.
public enum AVX512Kernels {
    /// Whether this build contains the AVX-512 code (x86-64, not RLHF_PORTABLE).
    public static var compiled: Bool {
        #if RLHF_AVX512
        return true
        #else
        return false
        #endif
    }

    /// sums (8 rows x 32 floats: panel 0's 16 outputs, then panel 1's) += x[r, k] * panel[k, :] for
    /// k in `ks`, rows r = 0..<8 of x at stride ldX; starts from zero instead when `ks` starts at 0.
    /// Panels are laid out input by input, 16 floats each (RLHFModel's PackedMatrix).
    /// `prefetchAhead` > 0 asks for the lines of the first and/or second panel that many inputs ahead
    /// (two blocks of rows over the same chunk of weights each ask for one panel's next lines).
    @inline(never)
    public static func eightRowsTwoPanels(x: UnsafePointer<Float>, ldX: Int, panel0: UnsafePointer<Float>,
                                          panel1: UnsafePointer<Float>, ks: Range<Int>, sums: UnsafeMutablePointer<Float>,
                                          prefetchAhead: Int = 0, prefetchFirst: Bool = true, prefetchSecond: Bool = true) {
        kernel(x: x, ldX: ldX, panel0: panel0, panel1: panel1, ks: ks, sums: sums, prefetchAhead: prefetchAhead,
               prefetchFirst: prefetchFirst, prefetchSecond: prefetchSecond)
    }

    /// The same over panels of bfloat16 weights (the bits of RLHFModel's BFloat16), each widened to a
    /// float as it is loaded: the same bits as the AVX2 kernels over the same panels.
    @inline(never)
    public static func eightRowsTwoPanels(x: UnsafePointer<Float>, ldX: Int, bfloat16Panel0 panel0: UnsafePointer<UInt16>,
                                          panel1: UnsafePointer<UInt16>, ks: Range<Int>, sums: UnsafeMutablePointer<Float>,
                                          prefetchAhead: Int = 0, prefetchFirst: Bool = true, prefetchSecond: Bool = true) {
        kernel(x: x, ldX: ldX, panel0: panel0, panel1: panel1, ks: ks, sums: sums, prefetchAhead: prefetchAhead,
               prefetchFirst: prefetchFirst, prefetchSecond: prefetchSecond)
    }

    /// The kernel over panels of E (a protocol, not a closure: a closure stayed a call per load). Named
    /// apart from the entry points: with their name, the float entry point resolved to itself.
    @inline(__always)
    static func kernel<E: Weight16>(x: UnsafePointer<Float>, ldX: Int, panel0: UnsafePointer<E>, panel1: UnsafePointer<E>,
                                    ks: Range<Int>, sums: UnsafeMutablePointer<Float>, prefetchAhead: Int,
                                    prefetchFirst: Bool, prefetchSecond: Bool) {
        #if RLHF_AVX512
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        }
        @inline(__always) func store(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
        }
        var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a10 = SIMD16<Float>(), a11 = SIMD16<Float>()
        var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a30 = SIMD16<Float>(), a31 = SIMD16<Float>()
        var a40 = SIMD16<Float>(), a41 = SIMD16<Float>(), a50 = SIMD16<Float>(), a51 = SIMD16<Float>()
        var a60 = SIMD16<Float>(), a61 = SIMD16<Float>(), a70 = SIMD16<Float>(), a71 = SIMD16<Float>()
        if ks.lowerBound > 0 {
            a00 = load(sums); a01 = load(sums + 16); a10 = load(sums + 32); a11 = load(sums + 48)
            a20 = load(sums + 64); a21 = load(sums + 80); a30 = load(sums + 96); a31 = load(sums + 112)
            a40 = load(sums + 128); a41 = load(sums + 144); a50 = load(sums + 160); a51 = load(sums + 176)
            a60 = load(sums + 192); a61 = load(sums + 208); a70 = load(sums + 224); a71 = load(sums + 240)
        }
        let x0 = x, x1 = x0 + ldX, x2 = x1 + ldX, x3 = x2 + ldX, x4 = x3 + ldX, x5 = x4 + ldX, x6 = x5 + ldX, x7 = x6 + ldX
        var q0 = panel0 + ks.lowerBound * 16, q1 = panel1 + ks.lowerBound * 16
        let ahead = prefetchAhead * 16
        for k in ks {
            if prefetchAhead > 0 {
                if prefetchFirst { rlhf_prefetch(q0 + ahead) }
                if prefetchSecond { rlhf_prefetch(q1 + ahead) }
            }
            let w0 = E.load16(q0), w1 = E.load16(q1)
            var b = SIMD16<Float>(repeating: x0[k]); a00.addProduct(b, w0); a01.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x1[k]); a10.addProduct(b, w0); a11.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x2[k]); a20.addProduct(b, w0); a21.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x3[k]); a30.addProduct(b, w0); a31.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x4[k]); a40.addProduct(b, w0); a41.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x5[k]); a50.addProduct(b, w0); a51.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x6[k]); a60.addProduct(b, w0); a61.addProduct(b, w1)
            b = SIMD16<Float>(repeating: x7[k]); a70.addProduct(b, w0); a71.addProduct(b, w1)
            q0 += 16; q1 += 16
        }
        store(sums, a00); store(sums + 16, a01); store(sums + 32, a10); store(sums + 48, a11)
        store(sums + 64, a20); store(sums + 80, a21); store(sums + 96, a30); store(sums + 112, a31)
        store(sums + 128, a40); store(sums + 144, a41); store(sums + 160, a50); store(sums + 176, a51)
        store(sums + 192, a60); store(sums + 208, a61); store(sums + 224, a70); store(sums + 240, a71)
        #else
        preconditionFailure("AVX512Kernels called in a build without them; check `compiled` first")
        #endif
    }
}

/// A panel element the kernel reads 16 of at a time as floats.
protocol Weight16 {
    static func load16(_ p: UnsafePointer<Self>) -> SIMD16<Float>
}

extension Float: Weight16 {
    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
}

extension UInt16: Weight16 {
    /// bfloat16 bits widened to floats: zero-extend to 32 bits, shift into the high half.
    @inline(__always)
    static func load16(_ p: UnsafePointer<UInt16>) -> SIMD16<Float> {
        // Two 8-wide widenings: SIMD16's generic one stayed a call per load (the 8-wide one inlines).
        let low = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
        let high = UnsafeRawPointer(p + 8).loadUnaligned(as: SIMD8<UInt16>.self)
        let widened = SIMD16<UInt32>(lowHalf: SIMD8<UInt32>(truncatingIfNeeded: low), highHalf: SIMD8<UInt32>(truncatingIfNeeded: high))
        return unsafeBitCast(widened &<< 16, to: SIMD16<Float>.self)
    }
}
