import Foundation
import RLHFCore
import RLHFTestSupport
import XCTest
@testable import RLHFModel

/// The sampler against the full forward pass: cached logits, greedy paths, the reported
/// log-probabilities, and samples that do not depend on batch, position or thread count.
final class SamplerTests: XCTestCase {
    /// Mixed prompt lengths; the odd shape (C = 36, HS = 12, V = 67) runs every kernel tail.
    let prompts = [[5, 9, 1, 30, 2], [7], [3, 3, 8, 60, 12, 4, 4, 9, 11], [66, 0]]

    /// Logits of the last position of each prefix, from the full forward pass.
    func fullLogits(_ model: GPT2, _ sequence: [Int]) throws -> [Float] {
        try model.forward(TokenBatch(sequences: [sequence]))
        let V = model.config.vocabSize
        return Array(model.logits()[(sequence.count - 1) * V ..< sequence.count * V])
    }

    /// Capacity 5 splits the 17 prompt tokens over four calls, some prompts across two.
    func testCachedLogitsEqualTheFullForwardAtEveryStep() throws {
        let whole = try checkCachedLogits(capacity: 32), split = try checkCachedLogits(capacity: 5)
        XCTAssertEqual(whole, split, "splitting the prompts between calls changed some logits")
    }

    /// Every prefill and step logit row, in order.
    func checkCachedLogits(capacity: Int) throws -> [[Float]] {
        var seen: [[Float]] = []
        let model = try Fixtures.model(scalarHead: false)
        let V = model.config.vocabSize
        var random = SeededRandom(seed: 11)
        // Continuations fed one token per step; sequences drop out at different steps.
        let continuations = prompts.indices.map { b in (0..<(3 + 2 * b)).map { _ in random.nextInt(below: V) } }
        let S = model.config.contextLength
        let decoder = IncrementalDecoder(model: model, weights: DecodeWeights(model), sequences: prompts.count, positions: S,
                                         rows: capacity)
        decoder.prefill(prompts: prompts)
        for (b, prompt) in prompts.enumerated() {
            let expected = try fullLogits(model, prompt)
            seen.append(Array(UnsafeBufferPointer(start: decoder.logits + b * V, count: V)))
            let report = Tolerance.compare("prefill logits, sequence \(b), capacity \(capacity)", actual: Array(UnsafeBufferPointer(start: decoder.logits + b * V, count: V)),
                                           expected: expected, relative: 1e-5, absolute: 1e-5)
            XCTAssert(report.passed, "\(report)")
        }
        var step = 0
        while true {
            let active = prompts.indices.filter { step < continuations[$0].count }
            if active.isEmpty { break }
            decoder.run(tokens: active.map { continuations[$0][step] }, sequences: active,
                        positions: active.map { prompts[$0].count + step }, logitRows: Array(active.indices))
            for (r, b) in active.enumerated() {
                let actual = Array(UnsafeBufferPointer(start: decoder.logits + r * V, count: V))
                seen.append(actual)
                let expected = try fullLogits(model, prompts[b] + continuations[b][0...step])
                let report = Tolerance.compare("step \(step) logits, sequence \(b), capacity \(capacity)", actual: actual, expected: expected,
                                               relative: 1e-5, absolute: 1e-5)
                XCTAssert(report.passed, "\(report)")
            }
            step += 1
        }
        XCTAssertEqual(step, continuations.map(\.count).max())
        return seen
    }

    /// The decoding products against a double-precision loop, and each row's bits the same alone or
    /// among 21 rows (8-row blocks on AVX-512 machines, 4-row blocks, lone rows against four panels and
    /// against one, a padded last panel and an 8-output edge, bias and residual), with the outputs
    /// split over one or several chunks, and with the AVX-512 kernel or without it.
    func testDotKernelsMatchANaiveLoopAndGiveARowTheSameBitsInAnyBatch() {
        let R = 21, IC = 301, OC = 1000 + 5  // 63 panels: 15 groups of four and one of three; the last has 13 outputs
        let x = Fixtures.gaussians(R * IC, seed: 21), w = Fixtures.gaussians(OC * IC, seed: 22)
        let bias = Fixtures.gaussians(OC, seed: 23), residual = Fixtures.gaussians(R * OC, seed: 24)
        let packed = FloatBuffer(count: PackedMatrix.count(IC: IC, OC: OC))
        w.withUnsafeBufferPointer { PackedMatrix.pack(outputMajor: $0.baseAddress!, IC: IC, OC: OC, into: packed.pointer) }
        let matrix = PackedMatrix(pointer: packed.pointer, IC: IC, OC: OC)
        func run(rows: Range<Int>, whole: Bool = false, wide: Bool = CPUFeatures.avx512) -> [Float] {
            var out = Array(residual[(rows.lowerBound * OC)..<(rows.upperBound * OC)])
            let count = rows.count
            out.withUnsafeMutableBufferPointer { o in
                let base = o.baseAddress!
                x.withUnsafeBufferPointer { xs in
                    bias.withUnsafeBufferPointer { b in
                        if whole {
                            DecodeKernels.dots(out: base, ldOut: OC, x: xs.baseAddress! + rows.lowerBound * IC, ldX: IC, rows: count,
                                               w: matrix, panels: 0..<matrix.panels, bias: b.baseAddress!, residual: UnsafePointer(base),
                                               wide: wide)
                        } else {
                            DecodeKernels.parallelDots(name: "test", out: base, ldOut: OC, x: xs.baseAddress! + rows.lowerBound * IC,
                                                       ldX: IC, rows: count, w: matrix, bias: b.baseAddress!, residual: UnsafePointer(base))
                        }
                    }
                }
            }
            return out
        }
        let all = run(rows: 0..<R)
        var expected = [Double](repeating: 0, count: R * OC)
        for r in 0..<R { for j in 0..<OC {
            var s = Double(bias[j]) + Double(residual[r * OC + j])
            for i in 0..<IC { s += Double(x[r * IC + i]) * Double(w[j * IC + i]) }
            expected[r * OC + j] = s
        } }
        // A float chain of 301 unit-variance products drifts by about sqrt(301) * 6e-8 * |partial sum ~17|.
        let report = Tolerance.compare("dots", actual: all, expected: expected, relative: 1e-5, absolute: 1e-4)
        XCTAssert(report.passed, "\(report)")
        for r in [0, 3, 4, 8, 17, 20] {
            XCTAssertEqual(run(rows: r..<(r + 1)), Array(all[(r * OC)..<((r + 1) * OC)]), "row \(r) alone differs from row \(r) of \(R)")
        }
        XCTAssertEqual(run(rows: 4..<9), Array(all[(4 * OC)..<(9 * OC)]), "rows 4..<9 as their own batch differ")
        XCTAssertEqual(run(rows: 5..<R), Array(all[(5 * OC)...]), "rows 5..<\(R) as their own batch differ")
        XCTAssertEqual(run(rows: 0..<R, whole: true), all, "one chunk of outputs differs from the parallel split")
        // On a CPU without AVX-512 both runs take the AVX2 kernels and this cannot tell them apart.
        XCTAssertEqual(run(rows: 0..<R, whole: true, wide: false), run(rows: 0..<R, whole: true, wide: CPUFeatures.avx512),
                       "the AVX-512 kernel (available: \(CPUFeatures.avx512)) differs from the AVX2 ones")
    }

    /// Decoding attention over the tiled key cache against a double-precision loop: head sizes with and
    /// without a 64-wide block and a scalar tail, position counts that take the 8-, 4- and 1-tile paths
    /// and a partial last tile, and a cache whose unused lanes hold stale values from an earlier call.
    func testAttentionOverTheTiledCacheMatchesADoublePrecisionLoop() {
        for HS in [12, 64, 72] {
            let NH = 2, S = 131
            let config = GPT2Config(vocabSize: 10, contextLength: S, layers: 1, heads: NH, channels: NH * HS)
            let cache = KVCache(config: config, sequences: 1, positions: S)
            // Stale values everywhere first, as a reused decoder's cache has: NaN, so any that leaks shows.
            cache.storage.pointer.update(repeating: .nan, count: cache.storage.count)
            let rows = Fixtures.gaussians(S * 3 * NH * HS, seed: 31 + UInt64(HS))
            let q = Fixtures.gaussians(HS, seed: 32)
            var out = [Float](repeating: 0, count: HS), scores = [Float](repeating: 0, count: cache.paddedS)
            for n in [1, 8, 9, 33, 70, 131] {
                rows.withUnsafeBufferPointer { r in
                    for t in 0..<n { cache.store(layer: 0, sequence: 0, position: t, qkvRow: r.baseAddress! + t * 3 * NH * HS) }
                }
                q.withUnsafeBufferPointer { qp in
                    DecodeKernels.attend(out: &out, q: qp.baseAddress!, keys: cache.keys(0, 0, 1), values: cache.values(0, 0, 1),
                                         last: n - 1, HS: HS, scale: 1 / Float(HS).squareRoot(), scores: &scores)
                }
                // Head 1's key and value of position t in the qkv rows.
                func key(_ t: Int, _ d: Int) -> Double { Double(rows[t * 3 * NH * HS + NH * HS + HS + d]) }
                func value(_ t: Int, _ d: Int) -> Double { Double(rows[t * 3 * NH * HS + 2 * NH * HS + HS + d]) }
                var logits = [Double](repeating: 0, count: n)
                for t in 0..<n {
                    var dot = 0.0
                    for d in 0..<HS { dot += Double(q[d]) * key(t, d) }
                    logits[t] = dot / Double(HS).squareRoot()
                }
                let top = logits.max() ?? 0
                let weights = logits.map { Foundation.exp($0 - top) }, total = weights.reduce(0, +)
                var expected = [Double](repeating: 0, count: HS)
                for d in 0..<HS { for t in 0..<n { expected[d] += weights[t] / total * value(t, d) } }
                let report = Tolerance.compare("attention HS \(HS), \(n) positions", actual: out, expected: expected,
                                               relative: 1e-5, absolute: 1e-5)
                XCTAssert(report.passed, "\(report)")
            }
        }
    }

    /// The MLP's first product with GELU applied in place of a second pass: the same bits as the
    /// product followed by GELU.forward.
    func testDotsWithGELUEqualTheProductThenGELU() {
        let R = 21, IC = 37, OC = 16 * 3 + 5   // 16-row superblock (8-row blocks on AVX-512), 4-row blocks, lone rows
        let x = Fixtures.gaussians(R * IC, seed: 41), w = Fixtures.gaussians(OC * IC, seed: 42), bias = Fixtures.gaussians(OC, seed: 43)
        let packed = FloatBuffer(count: PackedMatrix.count(IC: IC, OC: OC))
        w.withUnsafeBufferPointer { PackedMatrix.pack(outputMajor: $0.baseAddress!, IC: IC, OC: OC, into: packed.pointer) }
        let matrix = PackedMatrix(pointer: packed.pointer, IC: IC, OC: OC)
        func run(gelu: Bool) -> [Float] {
            var out = [Float](repeating: 0, count: R * OC)
            x.withUnsafeBufferPointer { xs in
                bias.withUnsafeBufferPointer { b in
                    DecodeKernels.parallelDots(name: "test", out: &out, ldOut: OC, x: xs.baseAddress!, ldX: IC, rows: R, w: matrix,
                                               bias: b.baseAddress!, gelu: gelu, residual: nil)
                }
            }
            return out
        }
        var separate = run(gelu: false)
        XCTAssertTrue(separate.contains { $0 < -1 }, "no strongly negative inputs: GELU's shape is not exercised")
        separate.withUnsafeMutableBufferPointer { GELU.forward(out: $0.baseAddress!, inp: $0.baseAddress!, n: R * OC) }
        XCTAssertEqual(run(gelu: true), separate)
    }

    func testGreedyFollowsTheArgmaxOfTheFullForwardAndTopKOneAgrees() throws {
        let model = try Fixtures.model(scalarHead: false)
        let sampler = Sampler(model: model)
        let greedy = try sampler.sample(prompts: prompts, settings: SamplingSettings(temperature: 0, maxNewTokens: 6, stopTokens: []), seed: 1)
        for (b, sequence) in greedy.enumerated() {
            XCTAssertEqual(sequence.tokens.count, 6)
            XCTAssertFalse(sequence.stopped)
            for (i, token) in sequence.tokens.enumerated() {
                let logits = try fullLogits(model, prompts[b] + sequence.tokens[0..<i])
                let argmax = logits.indices.max { logits[$0] < logits[$1] }!
                XCTAssertEqual(token, argmax, "sequence \(b) step \(i)")
                let logSum = Foundation.log(logits.map { Foundation.exp(Double($0 - logits[argmax])) }.reduce(0, +))
                XCTAssertEqual(Double(sequence.logProbabilities[i]), -logSum, accuracy: 1e-5)
            }
        }
        let topOne = try sampler.sample(prompts: prompts, settings: SamplingSettings(temperature: 1, topK: 1, maxNewTokens: 6, stopTokens: []), seed: 99)
        XCTAssertEqual(topOne.map(\.tokens), greedy.map(\.tokens))
        let tinyNucleus = try sampler.sample(prompts: prompts, settings: SamplingSettings(temperature: 1, topP: 1e-6, maxNewTokens: 6, stopTokens: []), seed: 5)
        XCTAssertEqual(tinyNucleus.map(\.tokens), greedy.map(\.tokens))
    }

    /// The reported log-probability is log_softmax(logits / T) of the full distribution, even when
    /// top-k cut it; and every sampled token is within the top k.
    func testLogProbabilitiesAreTheTemperedFullDistributionBeforeTopK() throws {
        let model = try Fixtures.model(scalarHead: false)
        let temperature: Float = 0.7
        let out = try Sampler(model: model).sample(prompts: prompts, settings: SamplingSettings(temperature: temperature, topK: 3, maxNewTokens: 5, stopTokens: []), seed: 3)
        var sawNonArgmax = false
        for (b, sequence) in out.enumerated() {
            for (i, token) in sequence.tokens.enumerated() {
                let logits = try fullLogits(model, prompts[b] + sequence.tokens[0..<i]).map { Double($0) / Double(temperature) }
                let m = logits.max()!
                let logSum = Foundation.log(logits.map { Foundation.exp($0 - m) }.reduce(0, +))
                XCTAssertEqual(Double(sequence.logProbabilities[i]), logits[token] - m - logSum, accuracy: 1e-5)
                let rank = logits.filter { $0 > logits[token] }.count
                XCTAssertLessThan(rank, 3, "sequence \(b) step \(i) sampled a token outside the top 3")
                if rank > 0 { sawNonArgmax = true }
            }
        }
        XCTAssertTrue(sawNonArgmax, "temperature 0.7 over 20 draws never left the argmax: is it sampling at all?")
    }

    func testASequenceIsTheSameAloneInABatchOfSixteenAndOnOneOrTwoThreads() throws {
        let model = try Fixtures.model(.tiny, scalarHead: false)
        let sampler = Sampler(model: model)
        var random = SeededRandom(seed: 4)
        let requests = (0..<16).map { i in
            SamplingRequest(prompt: (0..<(1 + random.nextInt(below: 20))).map { _ in random.nextInt(below: 512) },
                            seed: 42, stream: UInt64(1000 + i))
        }
        let settings = SamplingSettings(temperature: 1, topK: 50, maxNewTokens: 12, stopTokens: [7, 8, 9])
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 2
        let batch = try sampler.sample(requests, settings: settings)
        let reversed = try sampler.sample(requests.reversed(), settings: settings)
        Parallel.threads = 1
        let batchOneThread = try sampler.sample(requests, settings: settings)
        XCTAssertEqual(batchOneThread, batch)
        XCTAssertEqual(Array(reversed.reversed()), batch)
        for (i, request) in requests.enumerated() where i % 5 == 0 {
            for threads in [1, 2] {
                Parallel.threads = threads
                let alone = try sampler.sample([request], settings: settings)
                XCTAssertEqual(alone, [batch[i]], "sequence \(i) alone on \(threads) threads")
            }
        }
        // Different streams give different samples (the seed is really used).
        XCTAssertGreaterThan(Set(batch.map(\.tokens)).count, 8)
    }

    func testStopTokensEndIndexAndTheLeftCut() throws {
        let model = try Fixtures.model(scalarHead: false)
        let sampler = Sampler(model: model)
        let greedy = try sampler.sample(prompts: prompts, settings: SamplingSettings(temperature: 0, maxNewTokens: 4, stopTokens: []), seed: 0)
        // Stop at sequence 0's second greedy token.
        let stop = greedy[0].tokens[1]
        let stopped = try sampler.sample(prompts: prompts, settings: SamplingSettings(temperature: 0, maxNewTokens: 4, stopTokens: [stop]), seed: 0)
        let cut = greedy[0].tokens.firstIndex(of: stop)!
        XCTAssertEqual(stopped[0].tokens, Array(greedy[0].tokens[...cut]))
        XCTAssertTrue(stopped[0].stopped)
        XCTAssertEqual(stopped[0].endIndex, prompts[0].count + cut)
        XCTAssertEqual(stopped[0].sequence[stopped[0].endIndex], stop)
        for b in prompts.indices where !greedy[b].tokens.contains(stop) {
            XCTAssertEqual(stopped[b], greedy[b])
            XCTAssertEqual(stopped[b].endIndex, prompts[b].count + 3)
        }
        // Context 16 with 10 new tokens leaves 6 prompt tokens: the 9-token prompt loses its first 3.
        let long = try sampler.sample(prompts: [prompts[2]], settings: SamplingSettings(temperature: 0, maxNewTokens: 10, stopTokens: []), seed: 0)
        XCTAssertEqual(long[0].prompt, Array(prompts[2].suffix(6)))
        XCTAssertEqual(long[0].promptTokensDropped, 3)
        XCTAssertEqual(long[0].tokens.count, 10)
        XCTAssertThrowsError(try sampler.sample(prompts: [[]], settings: SamplingSettings(), seed: 0))
        XCTAssertThrowsError(try sampler.sample(prompts: [[1]], settings: SamplingSettings(maxNewTokens: 16), seed: 0))
        XCTAssertThrowsError(try sampler.sample(prompts: [[67]], settings: SamplingSettings(maxNewTokens: 2), seed: 0))
    }
}
