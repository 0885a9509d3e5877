import CPrefetch
import Dispatch
import Foundation
import Synchronization

/// Threads that stay awake between parallel regions, as OpenMP's do (and so PyTorch's and MKL's). A
/// decoding step has about fifty short regions (a product, attention, LayerNorm) separated by a few
/// microseconds of serial work; with DispatchQueue.concurrentPerform the other core's thread went back
/// to sleep in each gap and every region waited for it to be woken (tens of microseconds in a VM:
/// measured as ~10% idle time and 15k context switches a second while sampling). Workers here spin on
/// a generation counter for a few milliseconds after each region, then sleep on a condition until the
/// next one.
///
/// Every region is complete when `run` returns: each worker takes part in every generation (it may find
/// no index left), so no worker can see a later region's job half-published. A region started while
/// another runs (a nested or a concurrent call) returns false and its caller runs it on its own thread.
/// A pool is never stopped (Parallel keeps one per worker count): a caller holding a pool that another
/// thread had retired would wait forever for workers that had left. Both waits yield the core now and
/// then, so more threads than cores (RLHF_THREADS too high, parallel tests) cost a little, not a time
/// slice per region.
final class WorkerPool: @unchecked Sendable {
    let workers: Int
    /// How long a worker spins after its last region before it sleeps.
    static let spinNanoseconds: UInt64 = 5_000_000

    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let condition = NSCondition()
    // Written by the caller before the generation's releasing increment, read by workers after its
    // acquiring load; cleared only after every worker has finished with it.
    private var job: ((Int) -> Void)?
    private var jobCount = 0

    init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            // From generation 0 whenever the thread starts: it must take part in every region run
            // after init, even one published before it first looks. (The workers keep the pool alive.)
            let thread = Thread { self.workerLoop(seen: 0) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs body(0 ..< count) on the caller and the workers; false (nothing run) when busy.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobCount = count
            nextIndex.store(0, ordering: .relaxed)
            unfinished.store(workers, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
            take(escapable, count)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 1023 == 0 { sched_yield() } else { rlhf_spin_pause() }
            }
            job = nil
        }
        return true
    }

    @inline(__always)
    private func take(_ body: (Int) -> Void, _ count: Int) {
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    private func workerLoop(seen start: Int) {
        var seen = start
        while true {
            var lastWork = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins & 1023 == 0 {
                    if DispatchTime.now().uptimeNanoseconds - lastWork > WorkerPool.spinNanoseconds {
                        condition.lock()
                        sleepers.add(1, ordering: .sequentiallyConsistent)
                        while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                        sleepers.subtract(1, ordering: .sequentiallyConsistent)
                        condition.unlock()
                        lastWork = DispatchTime.now().uptimeNanoseconds
                    } else {
                        sched_yield()
                    }
                } else {
                    rlhf_spin_pause()
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if let body = job { take(body, jobCount) }
            unfinished.subtract(1, ordering: .releasing)
        }
    }
}
