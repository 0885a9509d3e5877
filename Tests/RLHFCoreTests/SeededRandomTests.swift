import Testing
@testable import RLHFCore

@Suite struct SeededRandomTests {
    @Test func sameSeedSameStream() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
    }

    @Test func boundedIntsAreInRangeAndCoverIt() {
        var r = SeededRandom(seed: 1)
        var seen = Set<Int>()
        for _ in 0..<1000 { let v = r.nextInt(below: 7); #expect((0..<7).contains(v)); seen.insert(v) }
        #expect(seen.count == 7)
    }

    @Test func gaussianHasUnitMoments() {
        var r = SeededRandom(seed: 9)
        let xs = (0..<20000).map { _ in r.nextGaussian() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }
}
