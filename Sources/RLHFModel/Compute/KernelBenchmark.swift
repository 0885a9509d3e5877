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
            let p = SendablePointer(y.pointer)
            Parallel.forRanges(r, minimum: 1) { range in
                for i in range { _ = softmaxRow(p.base + i * V, V, target: 0) }
            }
        }
        figures.append(Figure(kernel: "softmax.rows", unit: "M/s", value: Double(n / 50257 * 50257) / softmax / 1e6))
        let layout = ParameterLayout(config: .small, scalarHead: false)
        let params = FloatBuffer(count: layout.count), grads = FloatBuffer(count: layout.count)
        let adamw = AdamW(layout: layout)
        let adam = time { adamw.update(parameters: params, gradients: grads, learningRate: 1e-4) }
        figures.append(Figure(kernel: "adamw", unit: "M params/s", value: Double(layout.count) / adam / 1e6))
        return figures
    }
}
