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
