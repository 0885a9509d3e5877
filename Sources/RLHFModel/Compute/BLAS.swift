import COpenBLAS
import Foundation

/// Every matrix product goes through `cblas_sgemm` (row-major). Also fixes OpenBLAS's kernel choice on
/// CPUs newer than the library: 0.3.21 does not know Sapphire/Emerald Rapids (family 6, model 207) and
/// falls back to its SSE3 "Prescott" kernels, 5-6x slower than its AVX-512 ones on this machine. When the
/// user has not chosen a core (`OPENBLAS_CORETYPE`) and the CPU has AVX-512 or AVX2+FMA, we re-run the
/// library's own dynamic-architecture initialisation with the matching core, exactly what setting
/// `OPENBLAS_CORETYPE` before start-up would have done.
enum BLAS {
    /// Done once, before the first product.
    static let setUp: String = {
        let name = selectKernels()
        // OpenBLAS always runs on the calling thread; our workers split the products (see `split`). Its own
        // pool would spin in sched_yield between calls, taking the cores from our element-wise kernels,
        // and it threads the LM head's long products poorly (measured: 1.1x on 2 threads).
        openblas_set_num_threads(1)
        return name
    }()

    /// The OpenBLAS kernel family in use (e.g. "SkylakeX").
    static var coreName: String {
        _ = setUp
        return currentCoreName()
    }

    private static func currentCoreName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    private static func selectKernels() -> String {
        let current = currentCoreName()
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil { return current }
        let generic: Set<String> = ["Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn",
                                    "Dunnington", "Nehalem", "Atom", "Unknown", "unknown"]
        guard generic.contains(current) else { return current }
        let flags = CPUFeatures.flags
        let wanted: String
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { wanted = "SkylakeX" }
        else if flags.isSuperset(of: ["avx2", "fma"]) { wanted = "Haswell" }
        else { return current }
        guard let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init") else {
            return current
        }
        typealias VoidFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        unsafeBitCast(quit, to: VoidFunction.self)()
        unsafeBitCast(initialise, to: VoidFunction.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return currentCoreName()
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)   // RTLD_DEFAULT
        #else
        return dlsym(UnsafeMutableRawPointer(bitPattern: -2), name)
        #endif
    }

    /// C (M, N) = alpha * op(A) (M, K) @ op(B) (K, N) + beta * C, all row-major with leading dimensions.
    @inline(__always)
    static func gemm(transA: Bool = false, transB: Bool = false, M: Int, N: Int, K: Int, alpha: Float = 1,
                     A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float,
                     C: UnsafeMutablePointer<Float>, ldc: Int) {
        if M == 0 || N == 0 { return }
        _ = setUp
        if K == 0 {
            // sgemm with K = 0 only scales C; keep that meaning without calling into the library.
            for i in 0..<M { for j in 0..<N { C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j] } }
            return
        }
        let workers = inSingleThreadedRegion ? 1 : Parallel.threads
        if workers > 1 && M * N * K >= 1 << 18 && max(M, N) >= 64 {
            split(transA: transA, transB: transB, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb,
                  beta: beta, C: C, ldc: ldc, parts: workers)
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }

    /// Our own split of one product over the workers, OpenBLAS running single-threaded in each: along
    /// the columns of C when there are enough (each worker packs its own share of B), else along its rows.
    /// Boundaries fall on multiples of 32 so no worker's share ends inside a micro-kernel tile. Every
    /// element is the same K-ordered sum whichever worker computes it, so results do not depend on the
    /// number of workers.
    private static func split(transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float, A: UnsafePointer<Float>,
                              lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float, C: UnsafeMutablePointer<Float>,
                              ldc: Int, parts: Int) {
        let alongColumns = N >= 256 || N >= M
        let total = alongColumns ? N : M
        func boundary(_ part: Int) -> Int {
            if part == 0 { return 0 }
            if part == parts { return total }
            return min(total, (total * part / parts + 16) / 32 * 32)
        }
        Parallel.forEach(parts) { part in
            let begin = boundary(part), end = boundary(part + 1)
            if end <= begin { return }
            if alongColumns {
                let bPart = transB ? B + begin * ldb : B + begin
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(M), Int32(end - begin), Int32(K), alpha, A, Int32(lda), bPart, Int32(ldb), beta,
                            C + begin, Int32(ldc))
            } else {
                let aPart = transA ? A + begin : A + begin * lda
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(end - begin), Int32(N), Int32(K), alpha, aPart, Int32(lda), B, Int32(ldb), beta,
                            C + begin * ldc, Int32(ldc))
            }
        }
    }

    /// Runs two independent products at once, each whole on its own worker (a backward pass's
    /// dinput and dweight): unsplit shapes run nearer the sgemm peak than halves do, and the workers
    /// do not meet in between. In order on one thread.
    static func concurrently(_ first: () -> Void, _ second: () -> Void) {
        _ = setUp
        guard Parallel.threads > 1, !inSingleThreadedRegion else {
            first()
            second()
            return
        }
        inSingleThreadedRegion = true
        Parallel.forEach(2) { $0 == 0 ? first() : second() }
        inSingleThreadedRegion = false
    }

    /// Set while our workers each run their own small products (attention heads): no further split.
    nonisolated(unsafe) static var inSingleThreadedRegion = false

    /// Runs `body`, whose workers each call sgemm on small problems (attention heads), without splitting
    /// those products further.
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        _ = setUp
        inSingleThreadedRegion = true
        body()
        inSingleThreadedRegion = false
    }
}
