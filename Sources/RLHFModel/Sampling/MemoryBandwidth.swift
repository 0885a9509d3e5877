import Dispatch

/// How fast this machine streams memory into the cores, measured the way batch-1 decoding reads its
/// weights: every worker sums its own contiguous share of a buffer far larger than the caches. For
/// `rlhf bench sample`, whose batch-1 speed at gpt2 is capped by it (bytes of weights per token).
public enum MemoryBandwidth {
    /// Read GB/s over a buffer of `bytes` (default 512 MiB), best of `repetitions` passes after one
    /// that touches the pages, on `Parallel.threads` workers.
    public static func readGBps(bytes: Int = 512 << 20, repetitions: Int = 5) -> Double {
        let count = bytes / 4
        let buffer = FloatBuffer(count: count)
        for i in stride(from: 0, to: count, by: 1024) { buffer[i] = 1 }   // fault every page in
        let workers = Parallel.threads
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            let partials = FloatBuffer(count: workers)
            Parallel.forEach(workers) { w in
                let range = Parallel.range(w, of: workers, total: count)
                partials[w] = vectorSum(buffer.pointer + range.lowerBound, range.count)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            sink += partials[0]
        }
        return sink.isNaN ? 0 : Double(count * 4) / best / 1e9
    }
}
