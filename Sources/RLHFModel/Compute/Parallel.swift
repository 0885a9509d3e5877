import Dispatch
import Foundation
import Synchronization

/// How our own kernels use the cores. Work is split into chunks whose boundaries depend only on the
/// problem size, never on the thread count, and reductions add chunk partials in chunk order: the same
/// data gives bit-identical results with 1 or 2 threads.
public enum Parallel {
    /// Atomic because tests (run in parallel by Swift Testing) set it while other threads read it.
    private static let configured = Atomic<Int>(defaultThreads)
    private static var configuredThreads: Int { configured.load(ordering: .relaxed) }

    static let defaultThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["RLHF_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Threads our kernels use (OpenBLAS itself always runs on the calling thread: BLAS.swift splits
    /// products over these). Set it before work starts, from one thread.
    public static var threads: Int {
        get { configuredThreads }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body(chunk)` for every chunk in 0..<count, on all threads when there is more than one
    /// (WorkerPool; on the calling thread alone when the pool is already running a region, as a nested
    /// or concurrent call finds it).
    @inline(__always)
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let threads = configuredThreads
        if count <= 1 || threads == 1 {
            for i in 0..<count { body(i) }
        } else if !currentPool(workers: threads - 1).run(count, body) {
            for i in 0..<count { body(i) }
        }
    }

    nonisolated(unsafe) private static var pools: [Int: WorkerPool] = [:]
    private static let poolLock = NSLock()

    /// The pool with `workers` workers (threads - 1), made at first use. Pools are kept, never stopped, when
    /// `threads` changes (their idle workers sleep): another thread may still be about to run on one.
    private static func currentPool(workers: Int) -> WorkerPool {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let pool = pools[workers] { return pool }
        let made = WorkerPool(workers: workers)
        pools[workers] = made
        return made
    }

    /// Fixed chunking of `total` items into at most `maxChunks` ranges of at least `minimum` items.
    @inline(__always)
    static func chunkCount(_ total: Int, minimum: Int, maxChunks: Int = 16) -> Int {
        max(1, min(maxChunks, total / max(1, minimum)))
    }

    @inline(__always)
    static func range(_ chunk: Int, of chunks: Int, total: Int) -> Range<Int> {
        let begin = total * chunk / chunks
        let end = total * (chunk + 1) / chunks
        return begin..<end
    }

    /// Splits 0..<total into fixed chunks and runs them in parallel.
    @inline(__always)
    static func forRanges(_ total: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(total, minimum: minimum)
        forEach(chunks) { body(range($0, of: chunks, total: total)) }
    }
}
