import Dispatch
import Foundation
import XCTest
@testable import RLHFModel

/// Parallel's spinning worker pool: every index runs exactly once in every region, regions started
/// inside a region or from a second thread at the same time still complete (on their caller), and a
/// pool remade for another thread count keeps working. Each check runs on a helper thread with a
/// deadline, so a hang fails the test instead of stalling the suite.
final class WorkerPoolTests: XCTestCase {
    /// Runs `body` and fails when it does not finish within `seconds`.
    private func finishes(within seconds: Double, _ what: String, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        XCTAssertEqual(done.wait(timeout: .now() + seconds), .success, "\(what) did not finish in \(seconds) s (deadlock?)")
    }

    func testEveryIndexRunsOnceInEveryRegion() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 2
        finishes(within: 60, "2,000 regions") {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            for region in 0..<2_000 {
                let n = 2 + region % 60
                counts.update(repeating: 0, count: n)
                Parallel.forEach(n) { i in counts[i] += 1 }   // disjoint slots: no two chunks share one
                for i in 0..<n where counts[i] != 1 {
                    XCTFail("region \(region): index \(i) ran \(counts[i]) times")
                    return
                }
                if region % 500 == 499 { usleep(8_000) }       // let the worker fall asleep and wake it
            }
        }
    }

    func testNestedAndConcurrentRegionsComplete() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 2
        finishes(within: 60, "nested and concurrent regions") {
            let sums = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 16)
            defer { sums.deallocate() }
            sums.update(repeating: 0, count: 8 * 16)
            // Nested: each outer chunk runs an inner region (on its own thread, as the pool is busy).
            Parallel.forEach(8) { outer in
                Parallel.forEach(16) { inner in sums[outer * 16 + inner] += inner }
            }
            XCTAssertEqual((0..<(8 * 16)).map { sums[$0] }, (0..<(8 * 16)).map { $0 % 16 })
            // Two threads starting regions at once: both get every index done.
            XCTAssertEqual(WorkerPoolTests.hitsFromTwoThreads(regions: 200, count: 100), [Int](repeating: 200, count: 200))
        }
    }

    /// Regions on two threads while a third keeps changing the thread count (a new pool for each count):
    /// every region completes. A pool retired under a caller that already held it used to hang it.
    func testRegionsCompleteWhileAnotherThreadChangesTheThreadCount() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        finishes(within: 60, "regions while the thread count changes") {
            let hits = WorkerPoolTests.hitsFromTwoThreads(regions: 300, count: 40) {
                for i in 0..<300 { Parallel.threads = 2 + i % 2; usleep(50) }
            }
            XCTAssertEqual(hits, [Int](repeating: 300, count: 80))
        }
    }

    /// Two threads each run `regions` regions of `count` chunks at the same time (while `meanwhile`
    /// runs on a third); how often each (thread, chunk) ran, thread by thread.
    private static func hitsFromTwoThreads(regions: Int, count: Int, meanwhile: (@Sendable () -> Void)? = nil) -> [Int] {
        nonisolated(unsafe) let hits = UnsafeMutablePointer<Int>.allocate(capacity: 2 * count)
        defer { hits.deallocate() }
        hits.update(repeating: 0, count: 2 * count)
        let group = DispatchGroup()
        for caller in 0..<2 {
            group.enter()
            Thread {
                for _ in 0..<regions { Parallel.forEach(count) { hits[caller * count + $0] += 1 } }
                group.leave()
            }.start()
        }
        if let meanwhile {
            group.enter()
            Thread { meanwhile(); group.leave() }.start()
        }
        group.wait()
        return (0..<(2 * count)).map { hits[$0] }
    }

    func testAPoolRemadeForAnotherThreadCountKeepsWorking() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        finishes(within: 60, "regions across thread counts") {
            for threads in [2, 3, 1, 2] {
                Parallel.threads = threads
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: 32)
                defer { hits.deallocate() }
                hits.update(repeating: 0, count: 32)
                for _ in 0..<50 { Parallel.forEach(32) { hits[$0] += 1 } }
                XCTAssertEqual((0..<32).map { hits[$0] }, [Int](repeating: 50, count: 32), "\(threads) threads")
            }
        }
    }
}
