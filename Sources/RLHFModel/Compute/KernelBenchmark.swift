import Dispatch

/// Speeds of the element-wise kernels on the shapes STYLE.md measured (LayerNorm over (8 x 256, 768),
/// GELU over 6.3M floats), for `rlhf bench model --kernels`.
public enum KernelBenchmark {
    public struct Figure: Sendable {
        public let kernel: String
        public let unit: String
        public let value: Double
    }

    public static func run(repetitions: Int = 10) -> [Figure] {
        let rows = 8 * 256, C = 768, n = 8 * 256 * 3072
        let x = FloatBuffer(count: n), y = FloatBuffer(count: n)
        for i in 0..<n { x[i] = Float(i % 1000) * 0.006 - 3 }
        let w = FloatBuffer(count: C), b = FloatBuffer(count: C)
        for i in 0..<C { w[i] = 1; b[i] = 0 }
        let mean = FloatBuffer(count: rows), rstd = FloatBuffer(count: rows)
        func time(_ body: () -> Void) -> Double {
            body()
            var best = Double.infinity
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return best
        }
        var figures: [Figure] = []
        let ln = time {
            LayerNorm.forward(out: y.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer, weight: w.pointer,
                              bias: b.pointer, N: rows, C: C, eps: 1e-5)
        }
        figures.append(Figure(kernel: "layernorm.forward", unit: "GB/s", value: Double(2 * rows * C * 4) / ln / 1e9))
        let lnb = time {
            LayerNorm.backward(dinp: y.pointer + rows * C, dweight: w.pointer, dbias: b.pointer, dout: x.pointer + rows * C,
                               inp: x.pointer, weight: w.pointer, mean: mean.pointer, rstd: rstd.pointer, N: rows, C: C)
        }
        figures.append(Figure(kernel: "layernorm.backward", unit: "GB/s", value: Double(4 * rows * C * 4) / lnb / 1e9))
        let gelu = time { GELU.forward(out: y.pointer, inp: x.pointer, n: n) }
        figures.append(Figure(kernel: "gelu.forward", unit: "M/s", value: Double(n) / gelu / 1e6))
        let geluBack = time { GELU.backward(dinp: y.pointer, inp: x.pointer, dout: x.pointer, n: n) }
        figures.append(Figure(kernel: "gelu.backward", unit: "M/s", value: Double(n) / geluBack / 1e6))
        let softmax = time {
            let V = 50257, r = n / V
            Parallel.forRanges(r, minimum: 1) { range in
                for i in range { _ = softmaxRow(y.pointer + i * V, V, target: 0) }
            }
        }
        figures.append(Figure(kernel: "softmax.rows", unit: "M/s", value: Double(n / 50257 * 50257) / softmax / 1e6))
        for (N, IC, OC) in [(1024, 128, 384), (1024, 512, 128), (2048, 768, 2304)] {
            let inp = FloatBuffer(count: N * IC), weight = FloatBuffer(count: IC * OC), bias = FloatBuffer(count: OC)
            let out = FloatBuffer(count: N * OC), residual = FloatBuffer(count: N * OC)
            for i in 0..<inp.count { inp[i] = Float(i % 13) * 0.01 }
            for i in 0..<weight.count { weight[i] = Float(i % 7) * 0.01 }
            let flops = 2 * Double(N * IC * OC)
            let raw = time { BLAS.gemm(M: N, N: OC, K: IC, A: inp.pointer, lda: IC, B: weight.pointer, ldb: OC, beta: 0, C: out.pointer, ldc: OC) }
            let linear = time { Linear.forward(out: out.pointer, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer, N: N, IC: IC, OC: OC) }
            let withResidual = time { Linear.forward(out: out.pointer, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer, residual: residual.pointer, N: N, IC: IC, OC: OC) }
            let dinp = FloatBuffer(count: N * IC), dweight = FloatBuffer(count: IC * OC), dbias = FloatBuffer(count: OC)
            let back = time { Linear.backward(dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer, dout: out.pointer, inp: inp.pointer, weight: weight.pointer, N: N, IC: IC, OC: OC) }
            let biasOnly = time { Linear.biasBackward(dbias: dbias.pointer, dout: out.pointer, N: N, OC: OC) }
            let shape = "\(N)x\(IC)x\(OC)"
            figures.append(Figure(kernel: "sgemm \(shape)", unit: "GFLOP/s", value: flops / raw / 1e9))
            figures.append(Figure(kernel: "linear.forward \(shape)", unit: "GFLOP/s", value: flops / linear / 1e9))
            figures.append(Figure(kernel: "linear.forward+residual \(shape)", unit: "GFLOP/s", value: flops / withResidual / 1e9))
            figures.append(Figure(kernel: "linear.backward \(shape)", unit: "GFLOP/s", value: 2 * flops / back / 1e9))
            figures.append(Figure(kernel: "bias.backward \(shape)", unit: "ms", value: biasOnly * 1e3))
        }
        for (name, B, T, C, NH) in [("tiny", 8, 128, 128, 4), ("small", 8, 256, 384, 6), ("gpt2", 8, 256, 768, 12)] {
            let qkv = FloatBuffer(count: B * T * 3 * C), out = FloatBuffer(count: B * T * C)
            let att = FloatBuffer(count: B * NH * T * T), scratch = FloatBuffer(count: B * NH * T * T)
            let dqkv = FloatBuffer(count: B * T * 3 * C)
            for i in 0..<qkv.count { qkv[i] = Float(i % 17) * 0.05 - 0.4 }
            let lengths = [Int](repeating: T, count: B)
            let forward = time { Attention.forward(out: out.pointer, att: att.pointer, qkv: qkv.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH) }
            let backward = time { Attention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: out.pointer, qkv: qkv.pointer, att: att.pointer, lengths: lengths, B: B, T: T, C: C, NH: NH) }
            figures.append(Figure(kernel: "attention.forward \(name)", unit: "ms", value: forward * 1e3))
            figures.append(Figure(kernel: "attention.backward \(name)", unit: "ms", value: backward * 1e3))
        }
        // The products of one training step, by operand layout: N = no transpose, T = transposed.
        let products: [(String, Bool, Bool, Int, Int, Int)] = [
            ("small qkv forward NN", false, false, 2048, 1152, 384), ("small qkv dinp NT", false, true, 2048, 384, 1152),
            ("small qkv dweight TN", true, false, 384, 1152, 2048), ("small qkv dweight^T TN", true, false, 1152, 384, 2048),
            ("small fcproj forward NN", false, false, 2048, 384, 1536), ("small fcproj dinp NT", false, true, 2048, 1536, 384),
            ("small fcproj dweight TN", true, false, 1536, 384, 2048), ("small fcproj dweight^T TN", true, false, 384, 1536, 2048),
            ("small logits NT", false, true, 2048, 4096, 384), ("small dwte TN", true, false, 4096, 384, 2048),
            ("small dwte^T TN", true, false, 384, 4096, 2048), ("small dhidden NN", false, false, 2048, 384, 4096),
            ("small dhidden^T TT", true, true, 384, 2048, 4096),
        ]
        for (name, transA, transB, M, N, K) in products {
            let a = FloatBuffer(count: M * K), b = FloatBuffer(count: K * N), c = FloatBuffer(count: M * N)
            for i in 0..<a.count { a[i] = Float(i % 11) * 0.01 }
            for i in 0..<b.count { b[i] = Float(i % 5) * 0.01 }
            let seconds = time {
                BLAS.gemm(transA: transA, transB: transB, M: M, N: N, K: K, A: a.pointer, lda: transA ? M : K,
                          B: b.pointer, ldb: transB ? K : N, beta: 1, C: c.pointer, ldc: N)
            }
            figures.append(Figure(kernel: "sgemm \(name) \(M)x\(N)x\(K)", unit: "GFLOP/s", value: 2 * Double(M * N * K) / seconds / 1e9))
        }
        let layout = ParameterLayout(config: .small, scalarHead: false)
        let params = FloatBuffer(count: layout.count), grads = FloatBuffer(count: layout.count)
        let adamw = AdamW(layout: layout)
        let adam = time { adamw.update(parameters: params, gradients: grads, learningRate: 1e-4) }
        figures.append(Figure(kernel: "adamw", unit: "M params/s", value: Double(layout.count) / adam / 1e6))
        return figures
    }
}
