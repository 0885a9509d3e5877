import Testing
import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

/// The BLAS path against plain double-precision loops (NaiveGPT2) on the odd shapes, ragged lengths and
/// a pad id outside the vocabulary.
@Suite struct NaiveReferenceTests {
    static func expectClose(_ name: String, _ actual: [Float], _ expected: [Double],
                            relative: Double = 1e-4, absolute: Double = 1e-5) {
        let report = Tolerance.compare(name, actual: actual, expected: expected, relative: relative, absolute: absolute)
        if !report.passed { print("naive \(report)") }
        #expect(report.passed, "\(report)")
    }

    @Test func wholeModelMatchesLoops() throws {
        let model = try Fixtures.model()
        let batch = Fixtures.batch()
        let targets = Fixtures.maskedTargets(batch)
        try model.forward(batch)
        let logp = try model.logProbabilities(targets: targets)
        let values = try model.scalarsAtEveryPosition()
        let hidden = Array(model.hiddenStates)
        let naive = NaiveGPT2(model)
        let T = batch.sequenceLength, C = model.config.channels
        for b in 0..<batch.batchSize {
            let length = batch.lengths[b]
            let tokens = (0..<length).map { Int(batch.tokens[b * T + $0]) }
            let h = naive.hidden(tokens)
            let row = b * T * C
            Self.expectClose("hidden states of sequence \(b)", Array(hidden[row..<(row + length * C)]), h.flatMap { $0 })
            let logSoftmax = naive.logSoftmax(h)
            let expectedLogp = (0..<length).map { t in targets[b * T + t] < 0 ? 0 : logSoftmax[t][Int(targets[b * T + t])] }
            Self.expectClose("log-probabilities of sequence \(b)", Array(logp[(b * T)..<(b * T + length)]), expectedLogp)
            Self.expectClose("scalar head of sequence \(b)", Array(values[(b * T)..<(b * T + length)]), h.map(naive.scalar))
        }
    }

    @Test func linearMatchesLoops() {
        let N = 39, IC = 36, OC = 108
        let x = GradientCheckTests.buffer(Fixtures.gaussians(N * IC, seed: 20))
        let w = GradientCheckTests.buffer(Fixtures.gaussians(IC * OC, seed: 21, scale: 0.2))
        let b = GradientCheckTests.buffer(Fixtures.gaussians(OC, seed: 22))
        let dout = GradientCheckTests.buffer(Fixtures.gaussians(N * OC, seed: 23))
        let out = FloatBuffer(count: N * OC)
        Linear.forward(out: out.pointer, inp: x.pointer, weight: w.pointer, bias: b.pointer, N: N, IC: IC, OC: OC)
        let dx = FloatBuffer(count: N * IC), dw = FloatBuffer(count: IC * OC), db = FloatBuffer(count: OC)
        Linear.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: dout.pointer, inp: x.pointer,
                        weight: w.pointer, N: N, IC: IC, OC: OC)
        var expectedOut = [Double](repeating: 0, count: N * OC), expectedDx = [Double](repeating: 0, count: N * IC)
        var expectedDw = [Double](repeating: 0, count: IC * OC), expectedDb = [Double](repeating: 0, count: OC)
        for n in 0..<N {
            for o in 0..<OC {
                var s = Double(b[o])
                for i in 0..<IC {
                    s += Double(x[n * IC + i]) * Double(w[i * OC + o])
                    expectedDx[n * IC + i] += Double(dout[n * OC + o]) * Double(w[i * OC + o])
                    expectedDw[i * OC + o] += Double(x[n * IC + i]) * Double(dout[n * OC + o])
                }
                expectedOut[n * OC + o] = s
                expectedDb[o] += Double(dout[n * OC + o])
            }
        }
        Self.expectClose("linear out", out.array, expectedOut)
        Self.expectClose("linear dinp", dx.array, expectedDx)
        Self.expectClose("linear dweight", dw.array, expectedDw)
        Self.expectClose("linear dbias", db.array, expectedDb)
    }
}

extension NaiveReferenceTests {
    /// Long sequences, so the query/key blocks of the attention kernel (64 rows) split and their edges
    /// fall at every kind of place: lengths 150, 64, 65, 129, 1.
    @Test func blockedAttentionMatchesLoopsAndFiniteDifferences() {
        let lengths = [150, 64, 65, 129, 1]
        let B = lengths.count, T = 150, C = 36, NH = 3
        let qkv = GradientCheckTests.buffer(Fixtures.gaussians(B * T * 3 * C, seed: 24))
        let out = FloatBuffer(count: B * T * C), att = FloatBuffer(count: B * NH * T * T)
        Attention.forward(out: out.pointer, att: att.pointer, qkv: qkv.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH)
        let expected = NaiveGPT2.attention(qkv.array.map(Double.init), lengths: lengths, B: B, T: T, C: C, NH: NH)
        Self.expectClose("blocked attention output", out.array, expected)

        var dout = Fixtures.gaussians(B * T * C, seed: 25)
        for b in 0..<B { for t in lengths[b]..<T { for c in 0..<C { dout[(b * T + t) * C + c] = 0 } } }
        let d = GradientCheckTests.buffer(dout)
        let dqkv = FloatBuffer(count: B * T * 3 * C), scratch = FloatBuffer(count: B * NH * T * T)
        Attention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: d.pointer, qkv: qkv.pointer,
                           att: att.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH)
        var random = SeededRandom(seed: 26)
        var indices: [Int] = []
        for b in 0..<B {
            // Queries, keys and values on both sides of block edges, and the last real row.
            for t in Set([0, 63, 64, 65, 127, 128, lengths[b] - 1]) where t < lengths[b] {
                for _ in 0..<3 { indices.append((b * T + t) * 3 * C + random.nextInt(below: 3 * C)) }
            }
        }
        let numeric = GradientCheckTests.numeric(qkv, indices: indices) {
            Attention.forward(out: out.pointer, att: att.pointer, qkv: qkv.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH)
            return GradientCheckTests.weightedSum(out, dout)
        }
        GradientCheckTests.expectClose("blocked attention dqkv", indices.map { dqkv[$0] }, numeric)
        for b in 0..<B {
            for t in lengths[b]..<T {
                #expect((0..<3 * C).allSatisfy { dqkv[(b * T + t) * 3 * C + $0] == 0 }, "dqkv past length, b \(b) t \(t)")
            }
        }
    }
}
