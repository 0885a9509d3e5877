import Testing
import RLHFCore
import RLHFTestSupport
@testable import RLHFModel

/// Finite-difference checks of every layer's backward on the odd shapes (C = 36, 3 heads, V = 67,
/// T = 13, B = 3, ragged lengths). Loss = sum(w * output) with random w, accumulated in double; central
/// differences with step 1e-2 in float carry about 1e-4 of rounding noise, hence the tolerances.
@Suite struct GradientCheckTests {
    static let step: Float = 1e-2
    static let relative = 2e-2, absolute = 1e-3

    static func buffer(_ values: [Float]) -> FloatBuffer {
        let b = FloatBuffer(count: values.count)
        for (i, v) in values.enumerated() { b[i] = v }
        return b
    }

    static func weightedSum(_ out: FloatBuffer, _ w: [Float]) -> Double {
        var s = 0.0
        for i in 0..<w.count { s += Double(out[i]) * Double(w[i]) }
        return s
    }

    /// Central differences of `loss` with respect to every element of `x` (or the listed ones).
    static func numeric(_ x: FloatBuffer, indices: [Int]? = nil, _ loss: () -> Double) -> [Float] {
        (indices ?? Array(0..<x.count)).map { i in
            let saved = x[i]
            x[i] = saved + step
            let up = loss()
            x[i] = saved - step
            let down = loss()
            x[i] = saved
            return Float((up - down) / Double(2 * step))
        }
    }

    static func expectClose(_ name: String, _ analytic: [Float], _ numeric: [Float]) {
        let report = Tolerance.compare(name, actual: analytic, expected: numeric, relative: relative, absolute: absolute)
        if !report.passed { print("finite difference \(report)") }
        #expect(report.passed, "\(report)")
    }

    @Test func layerNorm() {
        let N = Fixtures.B * Fixtures.T, C = Fixtures.odd.channels
        let x = Self.buffer(Fixtures.gaussians(N * C, seed: 1, scale: 2).map { $0 + 0.5 })
        let w = Self.buffer(Fixtures.gaussians(C, seed: 2, scale: 0.3).map { $0 + 1 })
        let b = Self.buffer(Fixtures.gaussians(C, seed: 3, scale: 0.3))
        let dout = Fixtures.gaussians(N * C, seed: 4)
        let out = FloatBuffer(count: N * C), mean = FloatBuffer(count: N), rstd = FloatBuffer(count: N)
        func loss() -> Double {
            LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer, weight: w.pointer,
                              bias: b.pointer, N: N, C: C, eps: 1e-5)
            return Self.weightedSum(out, dout)
        }
        _ = loss()
        let dx = FloatBuffer(count: N * C), dw = FloatBuffer(count: C), db = FloatBuffer(count: C)
        let d = Self.buffer(dout)
        LayerNorm.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: d.pointer, inp: x.pointer,
                           weight: w.pointer, mean: mean.pointer, rstd: rstd.pointer, N: N, C: C)
        Self.expectClose("layernorm dinp", dx.array, Self.numeric(x, loss))
        Self.expectClose("layernorm dweight", dw.array, Self.numeric(w, loss))
        Self.expectClose("layernorm dbias", db.array, Self.numeric(b, loss))
    }

    @Test func linearWithResidual() {
        let N = Fixtures.B * Fixtures.T, IC = 36, OC = 108
        let x = Self.buffer(Fixtures.gaussians(N * IC, seed: 5))
        let w = Self.buffer(Fixtures.gaussians(IC * OC, seed: 6, scale: 0.2))
        let b = Self.buffer(Fixtures.gaussians(OC, seed: 7))
        let residual = Self.buffer(Fixtures.gaussians(N * OC, seed: 8))
        let dout = Fixtures.gaussians(N * OC, seed: 9)
        let out = FloatBuffer(count: N * OC)
        func loss() -> Double {
            Linear.forward(out: out.pointer, inp: x.pointer, weight: w.pointer, bias: b.pointer, residual: residual.pointer,
                           N: N, IC: IC, OC: OC)
            return Self.weightedSum(out, dout)
        }
        let dx = FloatBuffer(count: N * IC), dw = FloatBuffer(count: IC * OC), db = FloatBuffer(count: OC)
        let d = Self.buffer(dout)
        Linear.backward(dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: d.pointer, inp: x.pointer,
                        weight: w.pointer, N: N, IC: IC, OC: OC)
        Self.expectClose("linear dinp", dx.array, Self.numeric(x, loss))
        Self.expectClose("linear dweight", dw.array, Self.numeric(w, loss))
        Self.expectClose("linear dbias", db.array, Self.numeric(b, loss))
        Self.expectClose("linear dresidual", dout, Self.numeric(residual, indices: Array(0..<200), loss) + Array(dout[200...]))
    }

    @Test func gelu() {
        let n = 1_003
        let x = Self.buffer(Fixtures.gaussians(n, seed: 10, scale: 3))
        let dout = Fixtures.gaussians(n, seed: 11)
        let out = FloatBuffer(count: n)
        func loss() -> Double {
            GELU.forward(out: out.pointer, inp: x.pointer, n: n)
            return Self.weightedSum(out, dout)
        }
        let dx = Self.buffer(dout)
        GELU.backward(dinp: dx.pointer, inp: x.pointer, dout: dx.pointer, n: n)
        Self.expectClose("gelu dinp", dx.array, Self.numeric(x, loss))
    }

    @Test func attention() {
        let B = Fixtures.B, T = Fixtures.T, C = Fixtures.odd.channels, NH = Fixtures.odd.heads
        let lengths = Fixtures.lengths
        let qkv = Self.buffer(Fixtures.gaussians(B * T * 3 * C, seed: 12))
        var dout = Fixtures.gaussians(B * T * C, seed: 13)
        for b in 0..<B { for t in lengths[b]..<T { for c in 0..<C { dout[(b * T + t) * C + c] = 0 } } }
        let out = FloatBuffer(count: B * T * C), att = FloatBuffer(count: B * NH * T * T)
        func loss() -> Double {
            Attention.forward(out: out.pointer, att: att.pointer, qkv: qkv.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH)
            return Self.weightedSum(out, dout)
        }
        _ = loss()
        let dqkv = FloatBuffer(count: B * T * 3 * C), scratch = FloatBuffer(count: B * NH * T * T)
        let d = Self.buffer(dout)
        Attention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: d.pointer, qkv: qkv.pointer,
                           att: att.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH)
        Self.expectClose("attention dqkv", dqkv.array, Self.numeric(qkv, loss))
        // Rows past a sequence's length neither produce output nor receive gradient.
        for b in 0..<B {
            for t in lengths[b]..<T {
                #expect((0..<C).allSatisfy { out[(b * T + t) * C + $0] == 0 }, "attention output past length, b \(b) t \(t)")
                #expect((0..<3 * C).allSatisfy { dqkv[(b * T + t) * 3 * C + $0] == 0 }, "dqkv past length, b \(b) t \(t)")
            }
        }
    }

    @Test func encoder() {
        let config = Fixtures.odd, B = Fixtures.B, T = Fixtures.T, C = config.channels
        let batch = Fixtures.batch()
        let wte = Self.buffer(Fixtures.gaussians(config.vocabSize * C, seed: 14))
        let wpe = Self.buffer(Fixtures.gaussians(config.contextLength * C, seed: 15))
        let dout = Fixtures.gaussians(B * T * C, seed: 16)
        let out = FloatBuffer(count: B * T * C)
        func loss() -> Double {
            Encoder.forward(out: out.pointer, tokens: batch.tokens, lengths: batch.lengths, wte: wte.pointer, wpe: wpe.pointer,
                            B: B, T: T, C: C)
            return Self.weightedSum(out, dout)
        }
        let dwte = FloatBuffer(count: wte.count), dwpe = FloatBuffer(count: wpe.count)
        let d = Self.buffer(dout)
        Encoder.backward(dwte: dwte.pointer, dwpe: dwpe.pointer, dout: d.pointer, tokens: batch.tokens,
                         lengths: batch.lengths, B: B, T: T, C: C)
        Self.expectClose("encoder dwte", dwte.array, Self.numeric(wte, loss))
        Self.expectClose("encoder dwpe", dwpe.array, Self.numeric(wpe, loss))
    }

    /// The whole model with both heads at once: loss = sum c * logp(target) + sum d * scalar, masked
    /// targets, ragged lengths. Checks a sample of coordinates of every parameter tensor.
    @Test func wholeModelBothHeads() throws {
        let model = try Fixtures.model()
        let batch = Fixtures.batch()
        let targets = Fixtures.maskedTargets(batch)
        let c = Fixtures.gaussians(batch.tokens.count, seed: 17)
        let d = Fixtures.gaussians(batch.tokens.count, seed: 18)
        func loss() throws -> Double {
            try model.forward(batch)
            let logp = try model.logProbabilities(targets: targets)
            let values = try model.scalarsAtEveryPosition()
            var s = 0.0
            for i in 0..<logp.count { s += Double(c[i]) * Double(logp[i]) + Double(d[i]) * Double(values[i]) }
            return s
        }
        _ = try loss()
        var dScalars = d
        for b in 0..<batch.batchSize { for t in batch.lengths[b]..<batch.sequenceLength { dScalars[b * batch.sequenceLength + t] = 0 } }
        model.zeroGradients()
        model.backward(HeadGradients(logProbabilities: c, scalars: dScalars))
        let gradients = model.gradients!
        var random = SeededRandom(seed: 19)
        for tensor in model.layout.tensors {
            let indices = (0..<min(6, tensor.count)).map { _ in tensor.offset + random.nextInt(below: tensor.count) }
            let numeric = Self.numeric(model.parameters, indices: indices) { (try? loss()) ?? .nan }
            Self.expectClose("model grad \(HuggingFaceNames.name(tensor))", indices.map { gradients[$0] }, numeric)
        }
    }
}
