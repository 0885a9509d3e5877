import Dispatch

/// What `rlhf bench` reports about the machine's matrix engine.
public enum ComputeInfo {
    /// The OpenBLAS kernel family in use (after the correction described in BLAS.swift).
    public static var blasCore: String { BLAS.coreName }

    /// The instruction set of the sampler's batch kernels on this machine and build: "avx512", "avx2"
    /// (x86-64 builds for Haswell and later), "neon" (arm64), or "baseline" (RLHF_PORTABLE builds).
    public static var decodeKernels: String {
        if CPUFeatures.avx512 { return "avx512" }
        #if RLHF_HASWELL
        return "avx2"
        #elseif arch(arm64)
        return "neon"
        #else
        return "baseline"
        #endif
    }

    /// Measured sgemm rate for C (M, N) = A (M, K) @ B (K, N), in GFLOP/s: the median of `repetitions`
    /// timed calls after one warm-up, on the current thread setting.
    public static func sgemmGFLOPS(M: Int, N: Int, K: Int, repetitions: Int = 10) -> Double {
        let a = FloatBuffer(count: M * K), b = FloatBuffer(count: K * N), c = FloatBuffer(count: M * N)
        for i in 0..<a.count { a[i] = Float(i % 7) * 0.1 - 0.3 }
        for i in 0..<b.count { b[i] = Float(i % 5) * 0.1 - 0.2 }
        var times: [Double] = []
        for round in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(M: M, N: N, K: K, A: a.pointer, lda: K, B: b.pointer, ldb: N, beta: 0, C: c.pointer, ldc: N)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if round > 0 { times.append(seconds) }
        }
        times.sort()
        return 2 * Double(M) * Double(N) * Double(K) / times[times.count / 2] / 1e9
    }
}
